import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

/// Where an import's statement journals go (issue 24): SQLite keeps the pages a statement changes to undo it alone,
/// and an updated person's statement (the change feed's trigger) journals about four 16 KiB pages. With temporary
/// storage on file, SQLite wrote every such journal to a temporary file in /var/tmp once one had gone over 64 KiB:
/// pages of the directory outside aafd's folder, and 15.9 GB of writes for an import that updated every person of
/// 100,000 pupils.
@Suite("Statement journals")
struct StatementJournalTests {
    @Test(
        "an import that updates every school and person opens no temporary file: its statement journals stay in memory",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/strace"), "needs strace")
    )
    func importKeepsJournalsInMemory() throws {
        let cli = CLI()
        let today = cli.today
        #expect(try cli.importSynthetic(Scenario.day(1), date: today.adding(days: -1)).status == 0)
        var changed = Scenario.day(1)
        for i in changed.schools.indices { changed.schools[i].name += " (nouveau nom)" }
        for i in changed.pupils.indices { changed.pupils[i].surname += "-MARTIN" }
        for i in changed.guardians.indices { changed.guardians[i].surname += "-MARTIN" }
        let folder = cli.temp.folder("changed")
        var writer = DeliveryWriter()
        writer.partSize = 1000
        try writer.write(changed, date: today, to: folder)
        let trace = cli.temp.file("openat.txt")
        let result = try runProgram(
            "/usr/bin/strace",
            ["-f", "-qq", "-e", "trace=openat", "-o", trace, Paths.aafdBinary]
                + ["import", "--config", cli.config, "--from-dir", folder],
            environment: ["PATH": "/usr/bin:/bin"]
        )
        #expect(result.status == 0, "\(result.stderr)")
        let opened = try String(contentsOfFile: trace, encoding: .utf8)
        #expect(opened.contains("aafd.sqlite3"))  // the trace saw the import's files
        let temporary = opened.split(separator: "\n").filter { $0.contains("etilqs_") }
        #expect(temporary.isEmpty, "SQLite opened \(temporary.count) temporary files during the import")
        let updates = try SQLiteShell.run(
            cli.database,
            "SELECT count(*) FROM changes WHERE change = 'updated' AND extract_date = '\(today.iso)'"
        )
        #expect(Int(updates) ?? 0 >= changed.pupils.count + changed.guardians.count)
    }
}
