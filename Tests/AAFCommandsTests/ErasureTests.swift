import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A second process holding a read transaction on the database (Python's sqlite3, not aafd).
final class Reader {
    let process: ChildProcess
    init(_ database: String, seconds: Int, in folder: TemporaryDirectory) throws {
        let out = folder.file("reader.out")
        let fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { close(fd) }
        process = try ChildProcess(
            "/usr/bin/python3",
            [Paths.fixtures.appendingPathComponent("readers/hold_read.py").path, database, String(seconds)],
            stdout: fd
        )
        let deadline = Date().addingTimeInterval(10)
        while (try? String(contentsOfFile: out, encoding: .utf8))?.contains("ready") != true, Date() < deadline {
            usleep(20_000)
        }
    }
    func stop() {
        process.signal(SIGKILL)
        process.wait()
    }
}

@Suite("Deletion with another process reading (R5, R8, R12, R2)")
struct ErasureTests {
    func filesContain(_ cli: CLI, _ needle: String) -> Bool {
        fileContains(cli.database, needle) || fileContains(cli.database + "-wal", needle)
    }

    @Test(
        "consent revoked while a reader holds a snapshot: not reported done (75, R12 incident); the next run erases it"
    )
    func revokeWithReader() throws {
        let cli = CLI(extra: "[retention]\nerasure_wait_seconds = 1\n")
        let staff = Scenario.base.staff[1]
        #expect(try cli.importDay("20250901").status == 0)
        #expect(
            try cli.run([
                "consent", "grant", staff.jointure, "--field", "home-address", "--by", "DPO", "--config", cli.config,
            ]).status == 0
        )
        #expect(try cli.importDay("20250901").status == 0)
        #expect(filesContain(cli, staff.homeStreet))
        let reader = try Reader(cli.database, seconds: 60, in: cli.temp)
        let revoke = try cli.run([
            "consent", "revoke", staff.jointure, "--field", "home-address", "--by", "DPO", "--config", cli.config,
        ])
        #expect(revoke.status == 75, "\(revoke.stderr)")
        #expect(revoke.stderr.contains("R12"))
        let status = try cli.json(["status", "--config", cli.config, "--json"])
        #expect((status["incident"] as? [String: Any])?["outcome"] as? String == "erasure-pending")
        reader.stop()
        let next = try cli.run(["purge", "--config", cli.config])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(!filesContain(cli, staff.homeStreet))
        #expect(try cli.json(["status", "--config", cli.config, "--json"])["incident"] is NSNull)
    }

    @Test(
        "an import replacing values while a reader holds a snapshot: 75 and the deletion record pending; erased next run"
    )
    func importWithReader() throws {
        let cli = CLI(extra: "[retention]\nerasure_wait_seconds = 1\n")
        #expect(try cli.importDay("20250901").status == 0)
        let reader = try Reader(cli.database, seconds: 60, in: cli.temp)
        let second = try cli.importDay("20250902")
        #expect(second.status == 75, "\(second.stderr)")
        #expect(second.stderr.contains("imported; but"))
        #expect(try SQLiteShell.run(cli.database, "SELECT count(*) FROM purge_records WHERE erased = 0;") != "0")
        let certificate = try cli.run(["certificate", "--config", cli.config])
        #expect(certificate.stdout.contains("SUPPRESSION EN ATTENTE"))
        reader.stop()
        #expect(try cli.run(["purge", "--config", cli.config]).status == 0)
        #expect(try SQLiteShell.run(cli.database, "SELECT count(*) FROM purge_records WHERE erased = 0;") == "0")
        #expect(!fileContains(cli.database + "-wal", "Eleve"))  // the WAL is empty once erased
        #expect(!(try cli.run(["certificate", "--config", cli.config]).stdout.contains("SUPPRESSION EN ATTENTE")))
    }
}
