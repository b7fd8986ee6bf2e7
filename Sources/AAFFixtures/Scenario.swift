import AAFModel

/// The committed multi-day ENT1D fixture (Fixtures/ent1d): three mornings of one small commune.
///
/// - Day 1 (2025-09-01): the start of the school year.
/// - Day 2 (2025-09-02): two pupils arrive (one new family), one only child leaves (their guardians depart
///   with them, R7), a pupil is renamed, another changes class, a staff member leaves (R8).
/// - Day 3 (2025-09-03): the pupil who left comes back (reactivated before the purge, R6).
public enum Scenario {
    public static let dates = [
        ExtractDate(year: 2025, month: 9, day: 1)!, ExtractDate(year: 2025, month: 9, day: 2)!,
        ExtractDate(year: 2025, month: 9, day: 3)!,
    ]

    public static let base: SyntheticDirectory = {
        var d = SyntheticDirectory.generate(schools: 3, pupils: 60, seed: 42)
        // A surname nobody else has, so that R5 ("the old name appears nowhere") can be checked byte for byte.
        d.pupils[5].surname = oldSurname
        return d
    }()

    /// The renamed pupil's surname on day 1: unique in the population.
    public static let oldSurname = "ANCIENNOM"

    /// The only child who leaves on day 2 and returns on day 3.
    public static var leavingPupil: SyntheticDirectory.Pupil {
        base.pupils.first { p in
            p.guardians.allSatisfy { g in base.pupils.filter { $0.guardians.contains(g) }.count == 1 }
        }!
    }

    /// The pupil renamed on day 2, and the new surname.
    public static var renamedPupil: SyntheticDirectory.Pupil { base.pupils[5] }
    public static let newSurname = "RENOMMEE"
    /// The pupil who changes class on day 2.
    public static var movingPupil: SyntheticDirectory.Pupil { base.pupils[6] }
    /// The staff member who leaves on day 2.
    public static var leavingStaff: SyntheticDirectory.Staff { base.staff.last! }
    /// The pupils who arrive on day 2.
    public static let arrivals = ["4199001", "4199002"]

    /// The population on day `n` (1-based).
    public static func day(_ n: Int) -> SyntheticDirectory {
        var d = base
        guard n >= 2 else { return d }
        let leaving = leavingPupil
        if n == 2 {
            d.pupils.removeAll { $0.jointure == leaving.jointure }
        }
        if let i = d.pupils.firstIndex(where: { $0.jointure == renamedPupil.jointure }) {
            d.pupils[i].surname = newSurname
        }
        if let i = d.pupils.firstIndex(where: { $0.jointure == movingPupil.jointure }) {
            let school = d.schools.first { $0.jointure == d.pupils[i].school }!
            let current = school.classes.firstIndex(of: d.pupils[i].classLabel) ?? 0
            let next = (current + 1) % school.classes.count
            d.pupils[i].classLabel = school.classes[next]
            d.pupils[i].classCode = "C\(school.jointure)-\(next)"
        }
        d.staff.removeAll { $0.jointure == leavingStaff.jointure }
        let family = SyntheticDirectory.Guardian(
            jointure: "5999001",
            surname: "NOUVEAU",
            firstName: "Awa",
            title: "Mme",
            street: "8 rue Neuve",
            postcode: "94000",
            town: "CRETEIL",
            mobile: "0611223344",
            mail: "nouveau@example.org"
        )
        d.guardians.append(family)
        for (k, jointure) in arrivals.enumerated() {
            var p = base.pupils[k]
            p.jointure = jointure
            p.surname = "NOUVEAU"
            p.firstName = ["Issa", "Maya"][k]
            p.guardians = [family.jointure]
            d.pupils.append(p)
        }
        return d
    }

    /// Writes the three days under `folder/<YYYYMMDD>/`.
    public static func write(to folder: String, makeDirectory: (String) throws -> Void) throws {
        for (i, date) in dates.enumerated() {
            let dir = folder + "/" + date.compact
            try makeDirectory(dir)
            var writer = DeliveryWriter()
            writer.partSize = 40
            try writer.write(day(i + 1), date: date, to: dir)
        }
    }
}
