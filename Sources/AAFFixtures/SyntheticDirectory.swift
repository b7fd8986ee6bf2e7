import AAFModel

/// A synthetic first-degree population. No public ENT1D file exists (aaf-format.md): everything here is
/// made up, deterministic for a seed, and follows the attribute sets of aaf-format.md §7.
public struct SyntheticDirectory: Sendable {
    public struct School: Sendable, Hashable {
        public var jointure: String
        public var uai: String
        public var name: String
        public var classes: [String]
    }

    public struct Pupil: Sendable, Hashable {
        public var jointure: String
        public var surname: String
        public var firstName: String
        public var otherFirstNames: [String]
        public var birthDate: String
        public var title: String
        public var school: String
        public var classCode: String
        public var classLabel: String
        public var level: String
        public var guardians: [String]
        public var ine: String
    }

    public struct Guardian: Sendable, Hashable {
        public var jointure: String
        public var surname: String
        public var firstName: String
        public var title: String
        public var street: String
        public var postcode: String
        public var town: String
        public var mobile: String
        public var mail: String
    }

    public struct Staff: Sendable, Hashable {
        public var jointure: String
        public var surname: String
        public var firstName: String
        public var birthDate: String
        public var title: String
        public var school: String
        public var director: Bool
        public var homeStreet: String
        public var mail: String
    }

    public var schools: [School]
    public var pupils: [Pupil]
    public var guardians: [Guardian]
    public var staff: [Staff]

    /// Generates `pupils` pupils over `schools` schools, about 1.5 guardians per pupil (siblings share),
    /// one staff member per 12 pupils, and one guardian no pupil references (R4).
    public static func generate(
        schools schoolCount: Int,
        pupils pupilCount: Int,
        seed: UInt64 = 1
    ) -> SyntheticDirectory {
        var rng = SplitMix64(seed: seed)
        let levels = ["PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2"]
        var schools: [School] = []
        for i in 0..<max(1, schoolCount) {
            let classes = levels.map { "\($0) \(["A", "B"][i % 2])" }
            schools.append(
                School(
                    jointure: String(9_100_000 + i),
                    uai: "094\(pad(i, 4))\(letter(i))",
                    name: "ECOLE \(["ELEMENTAIRE", "MATERNELLE", "PRIMAIRE"][i % 3]) \(Names.surname(&rng))",
                    classes: classes
                )
            )
        }
        var pupils: [Pupil] = []
        var guardians: [Guardian] = []
        pupils.reserveCapacity(pupilCount)
        guardians.reserveCapacity(pupilCount * 3 / 2 + 1)
        var nextGuardian = 5_000_000
        var i = 0
        while i < pupilCount {
            // A family: 1 or 2 guardians; a third of families have two children.
            let surname = Names.surname(&rng)
            let guardianCount = rng.next() % 4 == 0 ? 1 : 2
            var family: [String] = []
            for g in 0..<guardianCount {
                let jointure = String(nextGuardian)
                nextGuardian += 1
                family.append(jointure)
                guardians.append(
                    Guardian(
                        jointure: jointure,
                        surname: surname,
                        firstName: Names.firstName(&rng),
                        title: g == 0 ? "Mme" : "M.",
                        street: "\(rng.next() % 120 + 1) rue \(Names.street(&rng))",
                        postcode: "94\(pad(Int(rng.next() % 1000), 3))",
                        town: "CRETEIL",
                        mobile: "06\(pad(Int(rng.next() % 100_000_000), 8))",
                        mail: "\(surname.lowercased().filter(\.isLetter)).\(jointure)@example.org"
                    )
                )
            }
            let children = rng.next() % 3 == 0 ? 2 : 1
            for _ in 0..<children where i < pupilCount {
                let school = schools[Int(rng.next() % UInt64(schools.count))]
                let levelIndex = Int(rng.next() % UInt64(levels.count))
                let classLabel = school.classes[levelIndex]
                pupils.append(
                    Pupil(
                        jointure: String(4_100_000 + i),
                        surname: surname,
                        firstName: Names.firstName(&rng),
                        otherFirstNames: rng.next() % 2 == 0 ? [Names.firstName(&rng)] : [],
                        birthDate:
                            "\(pad(Int(rng.next() % 28) + 1, 2))/\(pad(Int(rng.next() % 12) + 1, 2))/\(2014 + levelIndex)",
                        title: rng.next() % 2 == 0 ? "M" : "Mme",
                        school: school.jointure,
                        classCode: "C\(school.jointure)-\(levelIndex)",
                        classLabel: classLabel,
                        level: levels[levelIndex],
                        guardians: family,
                        ine: "\(pad(Int(rng.next() % 1_000_000_000), 9))AB"
                    )
                )
                i += 1
            }
        }
        // R4: a guardian the file lists but no pupil references.
        guardians.append(
            Guardian(
                jointure: String(nextGuardian),
                surname: "UNREFERENCED",
                firstName: "Orphan",
                title: "Mme",
                street: "1 rue du Test",
                postcode: "94000",
                town: "CRETEIL",
                mobile: "0600000000",
                mail: "orphan@example.org"
            )
        )
        var staff: [Staff] = []
        let staffCount = max(schools.count, pupilCount / 12)
        for s in 0..<staffCount {
            let school = schools[s % schools.count]
            staff.append(
                Staff(
                    jointure: String(7_000_000 + s),
                    surname: Names.surname(&rng),
                    firstName: Names.firstName(&rng),
                    birthDate:
                        "\(pad(Int(rng.next() % 28) + 1, 2))/\(pad(Int(rng.next() % 12) + 1, 2))/19\(70 + s % 25)",
                    title: s % 2 == 0 ? "Mme" : "M.",
                    school: school.jointure,
                    director: s < schools.count,
                    homeStreet: "\(s + 3) avenue \(Names.street(&rng))",
                    mail: "staff.\(s)@ac-creteil.example"
                )
            )
        }
        return SyntheticDirectory(schools: schools, pupils: pupils, guardians: guardians, staff: staff)
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    private static func letter(_ i: Int) -> Character {
        Character(Unicode.Scalar(UInt8(65 + i % 26)))
    }
}

/// A small deterministic generator (SplitMix64).
public struct SplitMix64: Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Names {
    static let syllables = [
        "ba", "ro", "mi", "lu", "ta", "ne", "vo", "ri", "sa", "do", "ke", "li", "mo", "za", "fe", "gu",
    ]
    static let firsts = [
        "Lina", "Noah", "Jade", "Adam", "Léa", "Hugo", "Inès", "Louis", "Chloé", "Gabriel", "Zoé", "Raphaël",
        "Anaïs", "Maël", "Nour", "Élise", "Sacha", "Yanis", "Maëlys", "Timéo",
    ]

    static func surname(_ rng: inout SplitMix64) -> String {
        var s = ""
        for _ in 0..<(2 + Int(rng.next() % 2)) { s += syllables[Int(rng.next() % UInt64(syllables.count))] }
        return s.uppercased()
    }

    static func firstName(_ rng: inout SplitMix64) -> String {
        firsts[Int(rng.next() % UInt64(firsts.count))]
    }

    static func street(_ rng: inout SplitMix64) -> String {
        "des " + surname(&rng).capitalized
    }
}

extension String {
    fileprivate var capitalized: String { prefix(1).uppercased() + dropFirst().lowercased() }
}
