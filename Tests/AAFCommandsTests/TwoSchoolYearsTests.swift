import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 23: two simulated school years with a moving clock (libfaketime), from arrival to decommission. After each
/// step every file aafd wrote — the database and its WAL, the ENT's copy, the answers, the spool, the metrics, the
/// exports — is searched for the names and jointures of the people who should be gone by then; any hit fails.
@Suite("Two school years: nobody outlives their rules in any copy")
struct TwoSchoolYearsTests {
    /// Distinctive names, so that a hit is never a coincidence.
    static let pupilName = "SENTINELPUPILXQ"
    static let staffName = "SENTINELSTAFFXQ"
    static let guardianName = "SENTINELGUARDXQ"
    static let restrictedName = "SENTINELRESTRXQ"

    final class World {
        let cli: CLI
        let copy: String
        let metrics: String
        var base: SyntheticDirectory
        let pupil: SyntheticDirectory.Pupil
        let staff: SyntheticDirectory.Staff
        let restricted: SyntheticDirectory.Pupil
        let guardian: String

        init() throws {
            let folder = "/tmp/aafd-ent-\(UUID().uuidString)"
            #expect(mkdir(folder, 0o700) == 0)
            copy = folder + "/directory.sqlite3"
            let probe = TemporaryDirectory("two-years-metrics")
            metrics = probe.file("aafd.prom")
            cli = CLI(
                extra: "[ent]\npublished_copy = \"\(copy)\"\n[metrics]\ntextfile = \"\(metrics)\"\n"
                    + "[convention]\ncommune = \"Commune de test\"\n"
            )
            withExtendedLifetime(probe) {}
            // The sentinel pupil's guardian is theirs alone, so R7 takes them with the pupil.
            var d = Scenario.base
            let pupils = d.pupils
            let index = pupils.firstIndex { p in
                p.guardians.count == 1 && pupils.filter { $0.guardians.contains(p.guardians[0]) }.count == 1
            }!
            d.pupils[index].surname = TwoSchoolYearsTests.pupilName
            let guardianJointure = d.pupils[index].guardians[0]
            if let g = d.guardians.firstIndex(where: { $0.jointure == guardianJointure }) {
                d.guardians[g].surname = TwoSchoolYearsTests.guardianName
            }
            let other = index == 0 ? 1 : 0
            d.pupils[other].surname = TwoSchoolYearsTests.restrictedName
            d.staff[d.staff.count - 1].surname = TwoSchoolYearsTests.staffName
            pupil = d.pupils[index]
            guardian = guardianJointure
            restricted = d.pupils[other]
            staff = d.staff[d.staff.count - 1]
            base = d
        }

        /// Runs aafd at `day` (noon, the machine's zone).
        @discardableResult
        func at(_ day: String, _ arguments: [String]) throws -> ProcessResult {
            let result = try runProgram(
                "/usr/bin/faketime",
                ["\(day) 12:00:00", Paths.aafdBinary] + arguments + ["--config", cli.config],
                environment: ["PATH": "/usr/bin:/bin"]
            )
            return result
        }

        /// The académie's Complet of `day`, without whoever `without` names.
        func deliver(_ day: String, without: Set<String> = []) throws {
            var d = base
            d.pupils.removeAll { without.contains($0.jointure) }
            d.staff.removeAll { without.contains($0.jointure) }
            let date = ExtractDate(iso: day)!
            let folder = cli.temp.folder("delivery-\(date.compact)")
            var writer = DeliveryWriter()
            writer.partSize = 1000
            _ = try writer.write(d, date: date, to: folder)
            let result = try at(day, ["import", "--from-dir", folder])
            #expect(result.status == 0, "\(day): \(result.stderr)")
        }

        /// Every file aafd wrote: the state folder (database, WAL, answers, spool, exports made there), the copy,
        /// the metrics file. The deliveries the test wrote (the académie's files) are not aafd's.
        func files() -> [String] {
            var found: [String] = []
            for root in [cli.temp.file("state"), (copy as NSString).deletingLastPathComponent] {
                guard let walker = FileManager.default.enumerator(atPath: root) else { continue }
                while let name = walker.nextObject() as? String {
                    var info = stat()
                    let path = root + "/" + name
                    if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG { found.append(path) }
                }
            }
            if FileManager.default.fileExists(atPath: metrics) { found.append(metrics) }
            return found
        }

        /// The files holding any of `needles` (names or jointures), with the needle.
        func hits(_ needles: [String]) -> [String] {
            var hits: [String] = []
            for path in files() {
                guard let bytes = FileManager.default.contents(atPath: path) else { continue }
                for needle in needles where bytes.range(of: Data(needle.utf8)) != nil {
                    hits.append("\(path): \(needle)")
                }
            }
            return hits
        }
    }

    @Test(
        "arrival, R8 departure, the feed's window, restriction, R6/R7 at new year, an answer, decommission: no copy outlives",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/faketime"), "needs faketime")
    )
    func twoYears() throws {
        let w = try World()
        defer { try? FileManager.default.removeItem(atPath: (w.copy as NSString).deletingLastPathComponent) }
        // September 2027: everyone arrives; an access request for the sentinel pupil is answered; an export.
        try w.deliver("2027-09-06")
        #expect(w.hits([Self.pupilName]).contains { $0.contains(w.copy) }, "the copy holds the pupil")
        #expect(
            try w.at(
                "2027-09-07",
                [
                    "request", "open", "--kind", "access", w.pupil.jointure, "--received", "2027-09-07", "--by", "DPO",
                ]
            ).status == 0
        )
        #expect(
            try w.at("2027-09-07", ["person", "show", w.pupil.jointure, "--for-request", "1", "--by", "DPO"]).status
                == 0
        )
        let export = w.cli.temp.file("state/exports-ent.jsonl")
        #expect(try w.at("2027-09-08", ["export", "--format", "jsonl", "--output", export, "--by", "ENT"]).status == 0)

        // October: the staff member leaves (R8: deleted at once); the feed still names their jointure (35 days).
        try w.deliver("2027-10-04", without: [w.staff.jointure])
        #expect(w.hits([Self.staffName]).filter { !$0.hasPrefix(export) } == [], "R8: the name goes at once")
        // Six weeks later: the feed's window has passed; the jointure is nowhere but the export made before.
        try w.deliver("2027-11-15", without: [w.staff.jointure])
        #expect(w.hits([Self.staffName, w.staff.jointure]).filter { !$0.hasPrefix(export) } == [])

        // A restriction: out of the copy at once; the feed tells the ENT nothing but "deleted".
        #expect(
            try w.at(
                "2027-11-16",
                [
                    "request", "open", "--kind", "restriction", w.restricted.jointure, "--received", "2027-11-16",
                    "--by", "DPO",
                ]
            ).status == 0
        )
        #expect(w.hits([Self.restrictedName]).filter { $0.hasPrefix(w.copy) } == [], "restricted: out of the copy")

        // June 2028: the pupil leaves; kept until the end of the civil year (R6), with their guardian (R7).
        try w.deliver("2028-06-30", without: [w.staff.jointure, w.pupil.jointure])
        #expect(!w.hits([Self.pupilName]).isEmpty)
        // January 2029: purged, with the guardian, the answer, from the copy; the feed keeps the jointures 35 days.
        try w.deliver("2029-01-02", without: [w.staff.jointure, w.pupil.jointure])
        #expect(w.hits([Self.pupilName, Self.guardianName]).filter { !$0.hasPrefix(export) } == [])
        #expect(!FileManager.default.fileExists(atPath: w.cli.temp.file("state/answers/request-1.txt")))
        // February 2029: past the feed's window, their names nowhere but the old export, their jointures in no
        // file but the database, and there only in the rights request register (art. 7: it proves the request was
        // handled, kept as the journal once closed) and the administrator journal (R11).
        try w.deliver("2029-02-15", without: [w.staff.jointure, w.pupil.jointure])
        #expect(w.hits([Self.pupilName, Self.guardianName]).filter { !$0.hasPrefix(export) } == [])
        #expect(
            w.hits([w.pupil.jointure, w.guardian]).filter {
                !$0.hasPrefix(export) && !$0.hasPrefix(w.cli.database + ":")
            }
                == []
        )
        let list = "'\(w.pupil.jointure)', '\(w.guardian)', '\(w.staff.jointure)'"
        let elsewhere = try SQLiteShell.run(
            w.cli.database,
            """
            SELECT (SELECT count(*) FROM persons WHERE jointure IN (\(list)))
                + (SELECT count(*) FROM changes WHERE jointure IN (\(list)))
                + (SELECT count(*) FROM guardianships WHERE guardian_jointure IN (\(list)))
                + (SELECT count(*) FROM consents WHERE jointure IN (\(list)))
            """
        )
        #expect(elsewhere == "0")

        // The end of the convention: nothing left anywhere, the export included.
        let certificate = w.cli.temp.file("final.txt")
        let erased = try w.at(
            "2029-03-01",
            ["decommission", "--confirm-erase-everything", "--certificate", certificate]
        )
        #expect(erased.status == 0, "\(erased.stderr)")
        let everyone = [Self.pupilName, Self.staffName, Self.guardianName, Self.restrictedName]
        #expect(w.hits(everyone) == [], "after decommission")
        #expect(!FileManager.default.fileExists(atPath: export))
        let text = try String(contentsOfFile: certificate, encoding: .utf8)
        for name in everyone { #expect(!text.contains(name)) }
    }
}
