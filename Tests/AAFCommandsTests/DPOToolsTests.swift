import AAFFixtures
import AAFModel
import AAFPolicy
import AAFTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The DPO's tools (issue 14): the rights request register, restriction, security incidents, the end of the
/// convention, who looked, settings changes. Through the real binary and real SQLite files.
@Suite("DPO tools: requests, restriction, security incidents, decommission, reads")
struct DPOToolsTests {
    func sql(_ cli: CLI, _ query: String, database: String? = nil) throws -> String {
        try SQLiteShell.run(database ?? cli.database, query)
    }

    func day(_ offset: Int, from cli: CLI) -> String { cli.today.adding(days: offset).iso }

    @Test("request open: the forwarding deadline is 8 days after receipt, moved back to a working day (art. 7)")
    func forwardDeadline() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let pupil = Scenario.base.pupils[0].jointure
        // The rules themselves are checked with fixed dates in ConventionClockTests; here, that the command prints
        // what they decide, for dates before today whatever today is.
        for offset in [-1, -5, -20, -200] {
            let received = cli.today.adding(days: offset)
            let opened = try cli.run([
                "request", "open", "--kind", "access", pupil, "--received", received.iso, "--by", "Mme DPO",
                "--config", cli.config,
            ])
            #expect(opened.status == 0, "\(opened.stderr)")
            let due = ConventionClocks.forwardDue(receivedOn: received).iso
            #expect(opened.stdout.contains("forward it to the académie by \(due)"), "\(received): \(opened.stdout)")
        }
        // The publisher's 3 working days (art. 6.3): received by the publisher 20 days ago, by the commune
        // yesterday: late, and the message gives the publisher's due date.
        let publisherReceived = cli.today.adding(days: -20)
        let late = try cli.run([
            "request", "open", "--kind", "access", pupil, "--received", day(-1, from: cli), "--publisher-received",
            publisherReceived.iso, "--by", "Mme DPO", "--config", cli.config,
        ])
        let publisherDue = ConventionClocks.publisherDue(publisherReceivedOn: publisherReceived).iso
        #expect(late.stdout.contains("the publisher forwarded it late: due by \(publisherDue)"), "\(late.stdout)")
        let future = try cli.run([
            "request", "open", "--kind", "access", pupil, "--received", day(3, from: cli), "--by", "X", "--config",
            cli.config,
        ])
        #expect(future.status == 78)
        let badKind = try cli.run([
            "request", "open", "--kind", "deletion", pupil, "--received", day(0, from: cli), "--by", "X", "--config",
            cli.config,
        ])
        #expect(badKind.status == 64)
    }

    @Test(
        "restriction: the person leaves the views, exports, published copy and feed until the request closes; shown restricted"
    )
    func restriction() throws {
        let copyFolder = TemporaryDirectory("copy")
        let copy = copyFolder.file("ent.sqlite3")
        let cli = CLI(extra: "[ent]\npublished_copy = \"\(copy)\"\n")
        #expect(try cli.importDay("20250901").status == 0)
        let pupil = Scenario.base.pupils[2]
        let inViews = "SELECT count(*) FROM ent_people WHERE jointure = '\(pupil.jointure)'"
        let inClasses = "SELECT count(*) FROM ent_class_members WHERE jointure = '\(pupil.jointure)'"
        let inGuardianships = "SELECT count(*) FROM ent_guardianships WHERE pupil_jointure = '\(pupil.jointure)'"
        #expect(try sql(cli, inViews) == "1")
        let cursor = try cli.run(["changes", "--current", "--config", cli.config]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)

        let opened = try cli.run([
            "request", "open", "--kind", "restriction", pupil.jointure, "--received", day(0, from: cli), "--by",
            "Mme DPO", "--config", cli.config,
        ])
        #expect(opened.status == 0, "\(opened.stderr)")
        for query in [inViews, inClasses, inGuardianships] { #expect(try sql(cli, query) == "0", "\(query)") }
        let export = try cli.run(["export", "--format", "jsonl", "--by", "test", "--config", cli.config])
        #expect(!export.stdout.contains(pupil.jointure))
        let person = try cli.json(["person", "show", pupil.jointure, "--config", cli.config, "--json"])
        #expect(person["restricted"] as? Bool == true)
        // The ENT's copy is republished at once, without the pupil.
        #expect(
            try sql(cli, "SELECT count(*) FROM persons WHERE jointure = '\(pupil.jointure)'", database: copy) == "0"
        )
        let feed = try cli.run(["changes", "--since", cursor, "--config", cli.config]).stdout
        // For the ENT the pupil simply leaves (issue 23): the reason stays inside aafd.
        #expect(
            feed.contains("\"deleted\"") && feed.contains(pupil.jointure) && !feed.contains("restricted"),
            "\(feed)"
        )
        // The same delivery again: the académie still sends the pupil; the restriction holds.
        #expect(try cli.importDay("20250901").status == 0)
        #expect(try sql(cli, inViews) == "0")
        #expect(
            try sql(cli, "SELECT count(*) FROM persons WHERE jointure = '\(pupil.jointure)'", database: copy) == "0"
        )

        let closed = try cli.run([
            "request", "close", "1", "--outcome", "answered", "--by", "Mme DPO", "--config", cli.config,
        ])
        #expect(closed.status == 0, "\(closed.stderr)")
        #expect(try sql(cli, inViews) == "1")
        #expect(try sql(cli, inClasses) == "1")
        #expect(
            try sql(cli, "SELECT count(*) FROM persons WHERE jointure = '\(pupil.jointure)'", database: copy) == "1"
        )
        let again = try cli.run(["request", "close", "1", "--outcome", "answered", "--by", "X", "--config", cli.config])
        #expect(again.status == 66)
        let journal = try sql(cli, "SELECT group_concat(action, ',') FROM admin_journal WHERE action LIKE 'request%'")
        #expect(journal == "request-open,request-close")
        withExtendedLifetime(copyFolder) {}
    }

    @Test("an overdue request runs the alert command once, with no personal data; list --overdue shows it")
    func overdueAlert() throws {
        let temp = TemporaryDirectory("alert")
        let log = temp.file("alerts.txt")
        let cli = CLI(extra: "[alert]\ncommand = \"env | grep ^AAFD_ >> \(log); echo --- >> \(log)\"\n")
        #expect(try cli.importDay("20250901").status == 0)
        let pupil = Scenario.base.pupils[1].jointure
        #expect(
            try cli.run([
                "request", "open", "--kind", "rectification", pupil, "--received", day(-20, from: cli), "--by", "DPO",
                "--config", cli.config,
            ]).status == 0
        )
        let overdue = try cli.run(["request", "list", "--overdue", "--config", cli.config])
        #expect(overdue.stdout.contains("OVERDUE"))
        #expect(try cli.importDay("20250901").status == 0)
        #expect(try cli.importDay("20250901").status == 0)
        let alerts = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(alerts.components(separatedBy: "AAFD_OUTCOME=request-overdue").count == 2, "\(alerts)")
        #expect(alerts.contains("AAFD_INCIDENT_ID=request-1"))
        #expect(!alerts.contains(pupil))
        // Forwarded: no longer overdue.
        #expect(try cli.run(["request", "forward", "1", "--by", "DPO", "--config", cli.config]).status == 0)
        #expect(try cli.run(["request", "list", "--overdue", "--config", cli.config]).stdout.contains("no request"))
    }

    @Test("person show --for-request writes a 0600 answer linked to the request; reads are journaled and listed")
    func accessAnswerAndReads() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let pupil = Scenario.base.pupils[4]
        #expect(
            try cli.run([
                "request", "open", "--kind", "access", pupil.jointure, "--received", day(0, from: cli), "--by", "DPO",
                "--config", cli.config,
            ]).status == 0
        )
        let answer = try cli.run([
            "person", "show", pupil.jointure, "--for-request", "1", "--by", "Mme DPO", "--config", cli.config,
        ])
        #expect(answer.status == 0, "\(answer.stderr)")
        let path = cli.temp.file("state/answers/request-1.txt")
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains(pupil.surname))
        #expect(try sql(cli, "SELECT answer_file FROM rights_requests WHERE id = 1") == path)
        // A second answer never overwrites the first.
        let twice = try cli.run(["person", "show", pupil.jointure, "--for-request", "1", "--config", cli.config])
        #expect(twice.status == 73)

        _ = try cli.run(["person", "show", pupil.jointure, "--reason", "parent's phone call", "--config", cli.config])
        _ = try cli.run([
            "export", "--format", "csv", "--by", "ENT load", "--reason", "nightly", "--config", cli.config,
        ])
        let reads =
            try JSONSerialization.jsonObject(
                with: Data(try cli.run(["history", "--reads", "--json", "--config", cli.config]).stdout.utf8)
            ) as? [[String: Any]]
        #expect(reads?.first?["action"] as? String == "export")
        let listed = try cli.run(["history", "--reads", "--config", cli.config]).stdout
        let lines = listed.split(separator: "\n")
        #expect(lines.count == 4, "\(listed)")
        #expect(
            lines[0].contains("export") && lines[0].contains("by: ENT load") && lines[0].contains("reason: nightly")
        )
        #expect(lines[1].contains("read-person") && lines[1].contains("reason: parent's phone call"))
        #expect(lines.allSatisfy { $0.contains("unix:") })
        #expect(!listed.contains(pupil.surname))
    }

    @Test("security incident: deadlines, the draft's estimate from the census before it was known, alerts, risk")
    func securityIncident() throws {
        let temp = TemporaryDirectory("alert")
        let log = temp.file("alerts.txt")
        let cli = CLI(extra: "[alert]\ncommand = \"env | grep ^AAFD_ >> \(log)\"\n")
        // Known before any import: no estimate from aafd.
        let early = try cli.run([
            "incident", "declare", "--kind", "other", "--at", "2020-01-01T08:00", "--by", "M. Maire", "--config",
            cli.config,
        ])
        #expect(early.status == 0, "\(early.stderr)")
        #expect(try cli.importDay("20250901").status == 0)
        let status = try cli.json(["status", "--json", "--config", cli.config])
        let directory = try #require(status["directory"] as? [String: Int])
        // Known one minute after that import, 80 hours ago for the clocks' sake: both deadlines passed.
        let known = Timestamp.string(Date().addingTimeInterval(60))
        let declared = try cli.run([
            "incident", "declare", "--kind", "breach", "--at", known, "--by", "M. Maire", "--nature", "a laptop stolen",
            "--config", cli.config,
        ])
        #expect(declared.status == 78, "an incident known in the future is refused")
        // Timestamps have whole seconds: the next second is surely after the import's end.
        Thread.sleep(forTimeInterval: 1.1)
        let past = Timestamp.string(Date())
        #expect(
            try cli.run([
                "incident", "declare", "--kind", "breach", "--at", past, "--by", "M. Maire", "--config", cli.config,
            ]).status == 0
        )
        let draft = try cli.json(["incident", "show", "2", "--json", "--config", cli.config])
        let estimate = try #require(draft["estimate"] as? [String: Any])
        let totals = try #require(estimate["totals"] as? [String: Int])
        #expect(totals["students"] == directory["students"])
        #expect(totals["guardians"] == directory["guardians"])
        let bySchool = try #require(estimate["by_school"] as? [String: [String: Int]])
        #expect(bySchool.values.reduce(0) { $0 + ($1["students"] ?? 0) } == directory["students"])
        #expect((draft["deadlines"] as? [Any])?.count == 2)
        let early1 = try cli.run(["incident", "show", "1", "--config", cli.config]).stdout
        #expect(early1.contains("Aucun import n'était terminé quand l'incident a été connu"))

        // The first incident's clocks ran out long ago: the next run alerts the académie deadline, once.
        #expect(try cli.importDay("20250901").status == 0)
        #expect(try cli.importDay("20250901").status == 0)
        let alerts = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(alerts.components(separatedBy: "AAFD_OUTCOME=security-academy-overdue").count == 2, "\(alerts)")
        #expect(!alerts.contains("security-cnil-overdue"), "an 'other' incident has no CNIL clock")

        // Risk documented as unlikely: the CNIL clock stops; the académie's stays.
        let unlikely = try cli.run([
            "incident", "update", "2", "--risk", "unlikely", "--by", "DPO", "--config", cli.config,
        ])
        #expect(unlikely.status == 64, "--risk unlikely needs a reason")
        #expect(
            try cli.run([
                "incident", "update", "2", "--risk", "unlikely", "--risk-reason", "the disk was encrypted", "--by",
                "DPO",
                "--academy-alerted", past, "--config", cli.config,
            ]).status == 0
        )
        let after = try cli.json(["incident", "show", "2", "--json", "--config", cli.config])
        #expect((after["deadlines"] as? [Any])?.isEmpty == true)
        #expect(try cli.run(["incident", "close", "2", "--by", "DPO", "--config", cli.config]).status == 0)
    }

    @Test("registers outlive the journal's purge; each goes after its own delay, counted on certificates")
    func registerRetention() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let pupil = Scenario.base.pupils[0].jointure
        #expect(
            try cli.run([
                "request", "open", "--kind", "access", pupil, "--received", day(0, from: cli), "--by", "DPO",
                "--config", cli.config,
            ]).status == 0
        )
        let answered = try cli.run(["person", "show", pupil, "--for-request", "1", "--config", cli.config])
        #expect(answered.status == 0, "\(answered.stderr)")
        let answer = cli.temp.file("state/answers/request-1.txt")
        #expect(FileManager.default.fileExists(atPath: answer))
        #expect(
            try cli.run(["request", "close", "1", "--outcome", "answered", "--by", "DPO", "--config", cli.config])
                .status == 0
        )
        let past = Timestamp.string(Date().addingTimeInterval(-3600))
        _ = try cli.run(["incident", "declare", "--kind", "other", "--at", past, "--by", "DPO", "--config", cli.config])
        _ = try cli.run(["incident", "close", "1", "--by", "DPO", "--config", cli.config])
        // Both closed three years ago (the rows backdated, the purge run today): the request register keeps the
        // current and previous year, so the request goes; the security register keeps five years, so it stays.
        let threeYearsAgo = "\(cli.today.year - 3)-06-01T12:00:00Z"
        _ = try sql(cli, "UPDATE rights_requests SET closed_at = '\(threeYearsAgo)'")
        _ = try sql(cli, "UPDATE security_incidents SET closed_at = '\(threeYearsAgo)'")
        let purge = try cli.run(["purge", "--config", cli.config])
        #expect(purge.status == 0, "\(purge.stderr)")
        #expect(try sql(cli, "SELECT count(*) FROM rights_requests") == "0")
        #expect(!FileManager.default.fileExists(atPath: answer), "the answer goes with its request")
        #expect(try sql(cli, "SELECT count(*) FROM security_incidents") == "1")
        #expect(try sql(cli, "SELECT count(*) FROM purge_records WHERE rule = 'art7-register'") == "1")
        _ = try sql(cli, "UPDATE security_incidents SET closed_at = '\(cli.today.year - 6)-06-01T12:00:00Z'")
        #expect(try cli.run(["purge", "--config", cli.config]).status == 0)
        #expect(try sql(cli, "SELECT count(*) FROM security_incidents") == "0")
        let certificate = try cli.run(["certificate", "--config", cli.config]).stdout
        #expect(certificate.contains("art12-register"), "\(certificate)")
    }

    @Test("export-all: every table and the spool, 0600, a manifest sha256sum accepts; journaled; never over a folder")
    func exportAll() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let out = cli.temp.file("return")
        let result = try cli.run([
            "export-all", "--output", out, "--by", "DPO", "--reason", "art. 16", "--config", cli.config,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let check = try runProgram("/bin/sh", ["-c", "cd '\(out)' && sha256sum -c --quiet MANIFEST.sha256"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let tables = try sql(
            cli,
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        #expect(try FileManager.default.contentsOfDirectory(atPath: out + "/tables").count == Int(tables)!)
        let persons = try String(contentsOfFile: out + "/tables/persons.jsonl", encoding: .utf8)
        #expect(persons.split(separator: "\n").count == Int(try sql(cli, "SELECT count(*) FROM persons"))!)
        #expect(persons.contains(Scenario.base.pupils[0].surname))
        for name in try FileManager.default.subpathsOfDirectory(atPath: out) {
            var info = stat()
            #expect(lstat(out + "/" + name, &info) == 0)
            let mode = info.st_mode & 0o777
            #expect(mode == 0o600 || mode == 0o700, "\(name): \(String(mode, radix: 8))")
        }
        #expect(try sql(cli, "SELECT count(*) FROM admin_journal WHERE action = 'export-all'") == "1")
        let again = try cli.run(["export-all", "--output", out, "--by", "DPO", "--config", cli.config])
        #expect(again.status == 73)
    }

    @Test("decommission: confirmation required; every byte of the database zeroed; a final certificate outlives it")
    func decommission() throws {
        let cli = CLI(extra: "[convention]\ncommune = \"Mairie de Testville\"\n")
        #expect(try cli.importDay("20250901").status == 0)
        let refused = try cli.run(["decommission", "--config", cli.config])
        #expect(refused.status == 64)
        #expect(FileManager.default.fileExists(atPath: cli.database))
        // A second name for the database's and the WAL's bytes, read after the erasure.
        let probe = cli.temp.file("probe")
        #expect(link(cli.database, probe) == 0)
        let size = try FileManager.default.attributesOfItem(atPath: cli.database)[.size] as? Int ?? 0
        let certificate = cli.temp.file("final.txt")
        let erased = try cli.run([
            "decommission", "--confirm-erase-everything", "--certificate", certificate, "--config", cli.config,
        ])
        #expect(erased.status == 0, "\(erased.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cli.database))
        #expect(!FileManager.default.fileExists(atPath: cli.temp.file("state")))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: probe))
        #expect(bytes.count >= size && size > 0)
        #expect(bytes.allSatisfy { $0 == 0 }, "the database's old bytes are zeros")
        let text = try String(contentsOfFile: certificate, encoding: .utf8)
        #expect(text.contains("Parties : Mairie de Testville"))
        #expect(text.contains("élèves : ") && text.contains("chaîne vérifiée, tête "))
        #expect(text.contains(cli.database))
        for pupil in Scenario.base.pupils { #expect(!text.contains(pupil.surname)) }
        var info = stat()
        #expect(stat(certificate, &info) == 0 && info.st_mode & 0o777 == 0o600)
    }

    @Test("a change of the settings that govern processing is journaled with the names that changed (art. 6.1)")
    func settingsChange() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        #expect(try cli.importDay("20250901").status == 0)
        #expect(try sql(cli, "SELECT count(*) FROM admin_journal WHERE action = 'settings-changed'") == "0")
        let text = try String(contentsOfFile: cli.config, encoding: .utf8) + "[retention]\nrecord_max_age_years = 1\n"
        try text.write(toFile: cli.config, atomically: true, encoding: .utf8)
        #expect(try cli.importDay("20250901").status == 0)
        let detail = try sql(cli, "SELECT detail FROM admin_journal WHERE action = 'settings-changed'")
        #expect(detail.contains("[retention] record_max_age_years"), "\(detail)")
        #expect(!detail.contains("importSettings"), "named by TOML key, never a Swift property path: \(detail)")
        #expect(!detail.contains("= 1"))
    }
}
