import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

@Suite("Wrong dates in deliveries and commands (R9, R20)")
struct DateSafetyTests {
    @Test("a delivery dated 9999-12-31 is refused (65, R20), no crash, and the next real delivery imports")
    func year9999() throws {
        let cli = CLI()
        let folder = cli.temp.folder("far")
        try writeSyntheticDelivery(pupils: 20, schools: 1, seed: 1, date: ExtractDate(year: 9999, month: 12, day: 31)!, partSize: 1000, to: folder)
        let refused = try cli.run(["import", "--config", cli.config, "--from-dir", folder])
        #expect(refused.status == 65, "\(refused.stderr)")
        #expect(refused.stderr.contains("after today"))
        #expect(refused.stderr.contains("R20"))
        let real = try cli.importDay("20250901")
        #expect(real.status == 0, "\(real.stderr)")
        #expect(try cli.run(["status", "--config", cli.config]).status == 0)
    }

    @Test("a future-dated empty Delta cannot lock out real deliveries (R20) nor postpone R9")
    func futureDelta() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let folder = cli.temp.folder("future")
        let header = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ficAlimMENESR xmlns=\"http://www.education.gouv.fr/alimMENESR\" degre=\"1D\">\n</ficAlimMENESR>\n"
        _ = cli.temp.write("future/ENT1D_Delta_20991231_Eleve_0000.xml", header)
        let refused = try cli.run(["import", "--config", cli.config, "--from-dir", folder])
        #expect(refused.status == 65, "\(refused.stderr)")
        #expect(refused.stderr.contains("after today"), "\(refused.stderr)")
        #expect(try cli.importDay("20250902").status == 0)
    }

    @Test("purge --as-of a future date deletes nothing without --dry-run (78); --as-of 1900-01-01 does not crash")
    func purgeAsOf() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let future = try cli.run(["purge", "--as-of", "2099-01-01", "--config", cli.config])
        #expect(future.status == 78, "\(future.stderr)")
        #expect(future.stderr.contains("--dry-run"))
        let status = try cli.json(["status", "--config", cli.config, "--json"])
        #expect((status["directory"] as? [String: Any])?["students"] as? Int == 60)
        let preview = try cli.run(["purge", "--as-of", "2099-01-01", "--dry-run", "--config", cli.config])
        #expect(preview.status == 0, "\(preview.stderr)")
        let past = try cli.run(["purge", "--as-of", "1900-01-01", "--config", cli.config])
        #expect(past.status == 0, "\(past.stderr)")
    }
}

@Suite("Several processes on a new database")
struct FirstStartRaceTests {
    @Test("the first import while status polls: 20 fresh databases, every import succeeds, no migration runs twice")
    func firstStartWithStatus() throws {
        var failures: [String] = []
        for run in 1...20 {
            let cli = CLI()
            let folder = Paths.fixtures.appendingPathComponent("ent1d/20250901").path
            let importing = try ChildProcess(Paths.aafdBinary, ["import", "--config", cli.config, "--from-dir", folder])
            let pollers = try (0..<3).map { _ in try ChildProcess(Paths.aafdBinary, ["status", "--config", cli.config]) }
            let status = importing.wait()
            let polled = pollers.map { $0.wait() }
            if status != 0 { failures.append("run \(run): import exit \(status)") }
            if polled.contains(where: { $0 != 0 }) { failures.append("run \(run): status exits \(polled)") }
            let version = try runProgram("/usr/bin/sqlite3", [cli.database, "PRAGMA user_version;"]).stdout
            if version.trimmingCharacters(in: .whitespacesAndNewlines) != "5" { failures.append("run \(run): user_version \(version)") }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}
