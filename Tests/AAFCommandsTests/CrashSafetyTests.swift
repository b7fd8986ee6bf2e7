import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("SIGKILL during an import (R21)", .serialized)
struct CrashSafetyTests {
    /// Starts `aafd import`, kills it with SIGKILL after `delay`, and waits for it.
    func killDuringImport(_ cli: CLI, folder: String, after delay: Double) throws {
        let process = try ChildProcess(Paths.aafdBinary, ["import", "--config", cli.config, "--from-dir", folder])
        Thread.sleep(forTimeInterval: delay)
        process.signal(SIGKILL)
        process.wait()
    }

    @Test("killed at 25 moments of a second import: the previous state is intact each time, then the import lands")
    func sigkill() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let expected = try cli.json(["status", "--config", cli.config, "--json"])["directory"] as? [String: Int]

        // A bigger second delivery, so that the import takes long enough to be cut at many points.
        let folder = cli.temp.folder("big")
        try writeSyntheticDelivery(
            pupils: 4000,
            schools: 6,
            seed: 9,
            date: ExtractDate(year: 2025, month: 9, day: 2)!,
            partSize: 500,
            to: folder
        )

        var killedMidway = 0
        for attempt in 0..<25 {
            try killDuringImport(cli, folder: folder, after: 0.02 + Double(attempt) * 0.02)
            let status = try cli.json(["status", "--config", cli.config, "--json"])
            let directory = status["directory"] as? [String: Int]
            let lastSuccess = (status["last_success"] as? [String: Any])?["extract_date"] as? String
            if lastSuccess == "2025-09-02" {
                // The kill came after the commit: the new state, whole.
                #expect(directory?["students"] == 4000)
                break
            }
            killedMidway += 1
            #expect(directory == expected, "attempt \(attempt): the directory changed")
            #expect(try SQLiteShell.run(cli.database, "PRAGMA integrity_check;") == "ok")
        }
        #expect(killedMidway >= 3, "no kill landed during the import")
        // The next run succeeds.
        let result = try cli.run(["import", "--config", cli.config, "--from-dir", folder, "--accept-departures"])
        #expect(result.status == 0, "\(result.stderr)")
        let after = try cli.json(["status", "--config", cli.config, "--json"])["directory"] as? [String: Int]
        #expect(after?["students"] == 4000)
    }
}
