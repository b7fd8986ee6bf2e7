import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 23: every copy of personal data follows the person — the change feed's window, the ENT's copy re-pruned by
/// every purge, the LDIF change records journaled, a restriction that reveals nothing to the ENT.
@Suite("Every copy follows the person")
struct CopyLifecycleTests {
    private func sql(_ path: String, _ query: String) throws -> String { try SQLiteShell.run(path, query) }

    /// `days` before today, as the feed's `recorded_at`.
    private func daysAgo(_ cli: CLI, _ days: Int) -> String { cli.today.adding(days: -days).iso + "T12:00:00Z" }

    @Test(
        "the feed keeps its window only: a person gone leaves no jointure in it after feed_retention_days (35); a longer window keeps them"
    )
    func feedWindow() throws {
        for (window, kept) in [(nil, false), (60, true)] as [(Int?, Bool)] {
            let cli = CLI(extra: window.map { "[ent]\nfeed_retention_days = \($0)\n" } ?? "")
            #expect(try cli.importDay("20250901").status == 0)
            #expect(try cli.importDay("20250902").status == 0)
            let staff = Scenario.leavingStaff.jointure
            #expect(try sql(cli.database, "SELECT count(*) FROM changes WHERE jointure = '\(staff)'") != "0")
            // Everything the feed holds was recorded 36 days ago: past the default window, within 60 days.
            _ = try sql(cli.database, "UPDATE changes SET recorded_at = '\(daysAgo(cli, 36))'")
            #expect(try cli.run(["purge", "--config", cli.config]).status == 0)
            let left = try sql(cli.database, "SELECT count(*) FROM changes WHERE jointure = '\(staff)'")
            #expect((left != "0") == kept, "window \(window ?? 35): \(left) rows name the staff member (R8)")
            let since0 = try cli.run(["changes", "--config", cli.config, "--since", "0"])
            #expect(since0.status == (kept ? 0 : 66), "a cursor older than what is kept resyncs")
        }
    }

    @Test("a value above the largest window allowed (90 days) is refused: exit 78 naming the key")
    func feedWindowBounded() throws {
        let cli = CLI(extra: "[ent]\nfeed_retention_days = 91\n")
        let result = try cli.run(["status", "--config", cli.config])
        #expect(result.status == 78)
        #expect(result.stderr.contains("[ent] feed_retention_days"))
    }

    @Test("every purge that deletes anything republishes the ENT's copy: its feed and people equal the database's")
    func copyFollowsPurges() throws {
        let folder = "/tmp/aafd-ent-\(UUID().uuidString)"
        #expect(mkdir(folder, 0o700) == 0)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let copy = folder + "/directory.sqlite3"
        let cli = CLI(extra: "[ent]\npublished_copy = \"\(copy)\"\n")
        #expect(try cli.importDay("20250901").status == 0)
        #expect(try cli.importDay("20250902").status == 0)
        func agree(_ step: String) throws {
            for query in [
                "SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM changes",
                "SELECT count(*) FROM persons WHERE departed_on IS NULL AND restricted = 0",
                "SELECT group_concat(jointure) FROM (SELECT jointure FROM changes ORDER BY seq)",
            ] {
                #expect(try sql(copy, query) == (try sql(cli.database, query)), "\(step): \(query)")
            }
        }
        try agree("after the imports")
        // A purge that only shortens the feed (nobody deleted, the cursor does not move).
        _ = try sql(cli.database, "UPDATE changes SET recorded_at = '\(daysAgo(cli, 40))' WHERE seq <= 20")
        #expect(try cli.run(["purge", "--config", cli.config]).status == 0)
        #expect(try sql(cli.database, "SELECT count(*) FROM changes WHERE seq <= 20") == "0")
        try agree("after a purge of the feed alone")
        // A purge that deletes people (R9: every record last listed more than two years ago).
        _ = try sql(cli.database, "UPDATE persons SET listed_on = '2020-01-01'")
        _ = try sql(cli.database, "UPDATE directory_state SET value = '2020-01-01' WHERE key = 'last_complet'")
        #expect(try cli.run(["purge", "--config", cli.config]).status == 0)
        #expect(try sql(cli.database, "SELECT count(*) FROM persons") == "0")
        try agree("after the R9 purge")
    }

    @Test("`changes --format ldif` prints values: journaled like an export (who, scope, count); JSON Lines is not")
    func ldifChangesJournaled() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let cursor = try cli.run(["changes", "--config", cli.config, "--current"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try cli.importDay("20250902").status == 0)
        let before = try sql(cli.database, "SELECT count(*) FROM admin_journal")
        _ = try cli.run(["changes", "--config", cli.config, "--since", cursor])
        #expect(try sql(cli.database, "SELECT count(*) FROM admin_journal") == before, "JSON Lines: names only")
        let ldif = try cli.run([
            "changes", "--config", cli.config, "--since", cursor, "--format", "ldif", "--by", "ENT sync",
            "--reason", "nightly",
        ])
        #expect(ldif.status == 0, "\(ldif.stderr)")
        #expect(ldif.stdout.contains("changetype: modify"))
        let row = try sql(
            cli.database,
            "SELECT action || '|' || recorded_by || '|' || detail FROM admin_journal ORDER BY id DESC LIMIT 1"
        )
        #expect(row.hasPrefix("export|unix:"), "\(row)")
        #expect(row.contains("by: ENT sync") && row.contains("changes format=ldif since=\(cursor)"), "\(row)")
        #expect(row.contains("entries=") && row.contains("reason: nightly"), "\(row)")
        #expect(!row.contains(Scenario.newSurname), "the journal holds no value")
    }

    @Test(
        "for the ENT, a restricted person simply leaves (deleted) and comes back (created): the right exercised stays inside aafd"
    )
    func restrictionRevealsNothing() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let pupil = Scenario.base.pupils[0].jointure
        let cursor = try cli.run(["changes", "--config", cli.config, "--current"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(
            try cli.run([
                "request", "open", "--kind", "opposition", pupil, "--received", cli.today.iso, "--by", "DPO",
                "--config", cli.config,
            ]).status == 0
        )
        #expect(
            try cli.run(["request", "close", "1", "--outcome", "refused", "--by", "DPO", "--config", cli.config])
                .status == 0
        )
        let feed = try cli.run(["changes", "--config", cli.config, "--since", cursor]).stdout
        let rows = feed.split(separator: "\n").filter { $0.contains(pupil) }
        #expect(rows.count == 2 && rows[0].contains("\"deleted\"") && rows[1].contains("\"created\""), "\(rows)")
        #expect(!feed.contains("restricted"), "\(feed)")
        #expect(try sql(cli.database, "SELECT count(*) FROM changes WHERE change LIKE '%restricted'") == "0")
    }
}

/// Issue 23, item 3: an access answer lives only in `answers/` and goes with its person, its request, or its age.
@Suite("Access answers follow the person")
struct AnswerLifecycleTests {
    private func sql(_ cli: CLI, _ query: String) throws -> String { try SQLiteShell.run(cli.database, query) }

    private func open(_ cli: CLI, _ jointure: String) throws {
        let opened = try cli.run([
            "request", "open", "--kind", "access", jointure, "--received", cli.today.iso, "--by", "DPO",
            "--config", cli.config,
        ])
        #expect(opened.status == 0, "\(opened.stderr)")
    }

    private func answer(_ cli: CLI, _ jointure: String, _ request: Int, _ extra: [String] = []) throws -> ProcessResult
    {
        try cli.run(
            ["person", "show", jointure, "--for-request", String(request), "--by", "DPO", "--config", cli.config]
                + extra
        )
    }

    private func answerFile(_ cli: CLI, _ request: Int) -> String {
        cli.temp.file("state/answers/request-\(request).txt")
    }

    @Test("an answer outside answers/ (or misnamed) is refused with 64 and nothing is written")
    func onlyInAnswers() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let pupil = Scenario.base.pupils[0].jointure
        try open(cli, pupil)
        let outside = cli.temp.file("elsewhere.txt")
        let refused = try answer(cli, pupil, 1, ["--answer", outside])
        #expect(refused.status == 64, "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: outside))
        let misnamed = try answer(cli, pupil, 1, ["--answer", cli.temp.file("state/answers/notes.txt")])
        #expect(misnamed.status == 64)
        let named = try answer(cli, pupil, 1, ["--answer", cli.temp.file("state/answers/request-1.copy.txt")])
        #expect(named.status == 0, "\(named.stderr)")
    }

    @Test(
        "the purge erases an answer when its person is purged, a month after its request closed, or 92 days after it was written"
    )
    func answerRetention() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let pupils = Scenario.base.pupils.prefix(3).map(\.jointure)
        for (i, pupil) in pupils.enumerated() {
            try open(cli, pupil)
            #expect(try answer(cli, pupil, i + 1).status == 0)
            #expect(FileManager.default.fileExists(atPath: answerFile(cli, i + 1)))
        }
        // Nothing is due yet.
        #expect(try cli.run(["purge", "--config", cli.config]).status == 0)
        for i in 1...3 { #expect(FileManager.default.fileExists(atPath: answerFile(cli, i)), "request \(i)") }
        // Request 2 closed 32 days ago; request 3's answer written 93 days ago.
        #expect(
            try cli.run(["request", "close", "2", "--outcome", "answered", "--by", "DPO", "--config", cli.config])
                .status == 0
        )
        _ = try sql(
            cli,
            "UPDATE rights_requests SET closed_at = '\(cli.today.adding(days: -32).iso)T10:00:00Z' WHERE id = 2"
        )
        var times = [timespec](repeating: timespec(tv_sec: time(nil) - 93 * 86400, tv_nsec: 0), count: 2)
        #expect(utimensat(AT_FDCWD, answerFile(cli, 3), &times, 0) == 0)
        let purged = try cli.run(["purge", "--config", cli.config, "--json"])
        #expect(purged.status == 0, "\(purged.stderr)")
        #expect(purged.stdout.contains("access answers"), "\(purged.stdout)")
        #expect(FileManager.default.fileExists(atPath: answerFile(cli, 1)), "open, young, its person present")
        #expect(!FileManager.default.fileExists(atPath: answerFile(cli, 2)), "closed a month ago")
        #expect(!FileManager.default.fileExists(atPath: answerFile(cli, 3)), "92 days old")
        // Request 1's pupil purged (R9): the answer goes in the same purge, and the chain counts it (R13, R14).
        _ = try sql(cli, "UPDATE persons SET listed_on = '2020-01-01'")
        _ = try sql(cli, "UPDATE directory_state SET value = '2020-01-01' WHERE key = 'last_complet'")
        #expect(try cli.run(["purge", "--config", cli.config]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: answerFile(cli, 1)), "its person was purged")
        #expect(
            try sql(
                cli,
                "SELECT sum(json_extract(counts, '$.\"access answers\"')) FROM purge_records WHERE rule = 'R14'"
            ) == "3"
        )
        let name = Scenario.base.pupils[0].surname
        let left = try FileManager.default.contentsOfDirectory(atPath: cli.temp.file("state/answers"))
        #expect(left.isEmpty, "\(left)")
        #expect(!(try String(contentsOfFile: cli.database, encoding: .isoLatin1).contains(name)))
    }
}

/// Issue 23, item 6: decommission leaves no copy it knows of; export-all returns the answers too.
@Suite("Decommission and export-all reach every copy")
struct DecommissionCopiesTests {
    @Test(
        "decommission erases the exports and export-all folders the journal recorded, and says so; export-all holds the answers"
    )
    func everyRecordedCopy() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let pupil = Scenario.base.pupils[0]
        #expect(
            try cli.run([
                "request", "open", "--kind", "access", pupil.jointure, "--received", cli.today.iso, "--by", "DPO",
                "--config", cli.config,
            ]).status == 0
        )
        #expect(
            try cli.run(["person", "show", pupil.jointure, "--for-request", "1", "--by", "DPO", "--config", cli.config])
                .status == 0
        )
        // An export inside the state folder, one outside it (relative path, as an administrator types it), an
        // export-all folder.
        let inside = cli.temp.file("state/ent.jsonl")
        let outside = cli.temp.file("exports/ent.csv")
        try FileManager.default.createDirectory(atPath: cli.temp.file("exports"), withIntermediateDirectories: true)
        #expect(
            try cli.run(["export", "--format", "jsonl", "--output", inside, "--by", "t", "--config", cli.config])
                .status == 0
        )
        let relative = try runProgram(
            "/bin/sh",
            [
                "-c",
                "cd '\(cli.temp.file("exports"))' && '\(Paths.aafdBinary)' export --format csv --output ent.csv --by t --config '\(cli.config)'",
            ]
        )
        #expect(relative.status == 0, "\(relative.stderr)")
        let all = cli.temp.file("return")
        let exported = try cli.run(["export-all", "--output", all, "--by", "t", "--config", cli.config])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(FileManager.default.fileExists(atPath: all + "/answers/request-1.txt"), "export-all holds the answers")
        let readme = try String(contentsOfFile: all + "/README.txt", encoding: .utf8)
        #expect(readme.contains("R1") && readme.contains("answers/"))
        for path in [inside, outside, all] { #expect(FileManager.default.fileExists(atPath: path), "\(path)") }

        let certificate = cli.temp.file("final.txt")
        let erased = try cli.run([
            "decommission", "--confirm-erase-everything", "--certificate", certificate, "--config", cli.config,
        ])
        #expect(erased.status == 0, "\(erased.stderr)")
        for path in [inside, outside, all] { #expect(!FileManager.default.fileExists(atPath: path), "\(path) left") }
        let text = try String(contentsOfFile: certificate, encoding: .utf8)
        #expect(
            text.contains("Exports enregistrés par le journal d'administration (export --output, export-all) : 3"),
            "\(text)"
        )
        for path in [outside, all + "/answers/request-1.txt"] { #expect(text.contains(path), "\(path)") }
        #expect(!text.contains(pupil.surname))
    }
}

/// Issue 23, item 8: the settings record lists TOML keys and the zone's name, so a daylight-saving switch is no
/// change anyone made. The binary runs under a moved clock (libfaketime) on either side of each switch.
@Suite("The settings record across daylight-saving switches")
struct SettingsAcrossDSTTests {
    @Test(
        "runs before and after the March and October switches (Europe/Paris) journal one settings record and no change",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/faketime"), "needs faketime")
    )
    func noFalseChange() throws {
        let cli = CLI(extra: "[schedule]\ntimezone = \"Europe/Paris\"\n")
        let day = Paths.fixtures.appendingPathComponent("ent1d/20250901").path
        for instant in ["2026-03-28 12:00:00", "2026-03-30 12:00:00", "2026-10-24 12:00:00", "2026-10-26 12:00:00"] {
            let result = try runProgram(
                "/usr/bin/faketime",
                [instant, Paths.aafdBinary, "import", "--config", cli.config, "--from-dir", day],
                environment: ["PATH": "/usr/bin:/bin", "TZ": "Europe/Paris"]
            )
            #expect(result.status == 0, "\(instant): \(result.stderr)")
            #expect(!result.stderr.contains("settings that govern processing changed"), "\(instant)")
        }
        let journal = try SQLiteShell.run(
            cli.database,
            "SELECT group_concat(action || ' ' || substr(at, 1, 10), ', ') FROM admin_journal WHERE action LIKE 'settings%'"
        )
        #expect(journal == "settings-recorded 2026-03-28", "\(journal)")
        let settings = try SQLiteShell.run(cli.database, "SELECT value FROM directory_state WHERE key = 'settings'")
        #expect(settings.contains("\"[schedule] timezone\":\"Europe\\/Paris\"") || settings.contains("Europe/Paris"))
        #expect(!settings.contains("CET") && !settings.contains("CEST") && !settings.contains("+01:00"), "\(settings)")
    }

}

/// Issue 23, item 5: certificates say what R11 pruned.
@Suite("Certificates of pruned periods")
struct PrunedCertificateTests {
    @Test(
        "a certificate for a period whose records R11 pruned says so, with the totals the chain keeps",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/faketime"), "needs faketime")
    )
    func certificateOfAPrunedPeriod() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        #expect(try cli.importDay("20250902").status == 0)
        #expect(try cli.run(["purge", "--config", cli.config]).status == 0)  // R8: the leaving staff member, today
        let year = cli.today.year
        func later(_ arguments: [String]) throws -> ProcessResult {
            try runProgram(
                "/usr/bin/faketime",
                ["\(year + 2)-01-05 12:00:00", Paths.aafdBinary] + arguments + ["--config", cli.config],
                environment: ["PATH": "/usr/bin:/bin"]
            )
        }
        #expect(try later(["purge"]).status == 0)
        let certificate = try later(["certificate", "--from", "\(year)-01-01", "--to", "\(year)-12-31"])
        #expect(certificate.status == 0, "\(certificate.stderr)")
        #expect(
            certificate.stdout.contains("supprimés à leur tour (règle R11) le 5 janvier \(year + 2)"),
            "\(certificate.stdout)"
        )
        #expect(certificate.stdout.contains("R8, personnels : "), "\(certificate.stdout)")
        #expect(certificate.stdout.contains("Chaîne des enregistrements de suppression : vérifiée"))
    }
}
