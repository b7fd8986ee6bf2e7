import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(
    "SFTP in the field: deletions refused, listings, interrupted imports, check-config --connect",
    .enabled(if: SSHServer.available, "needs root and openssh-server")
)
struct FieldTests {
    let keys = TemporaryDirectory("field-keys")

    func rsaKey() throws -> String { try SSHServer.makeKey(keys.file("id_rsa"), pem: true) }

    @Test(
        "REMOVE refused: imported, exit 76, R10 incident, status lists what is owed; retried and closed once the server allows it",
        .enabled(if: AsyncSSHServer.available, "needs the test venv with asyncssh")
    )
    func removeRefusedThenAllowed() throws {
        let key = try rsaKey()
        let server = try AsyncSSHServer(authorizedKeys: [key + ".pub"], denyRemove: true)
        try dropDay(interopDay, into: server.remoteDirectory)
        let client = InteropClient(server, key: key)
        let first = try client.cli.run(["import", "--config", client.cli.config])
        #expect(first.status == 76, "\(first.stderr)")
        #expect(first.stdout.contains("Fetched 1 deliveries"))
        #expect(first.stdout.contains("Imported the Complet delivery of 2025-09-01"))
        #expect(first.stderr.contains("R10"))
        let status = try client.cli.json(["status", "--config", client.cli.config, "--json"])
        #expect((status["directory"] as? [String: Any])?["students"] as? Int == 60)
        let incident = try #require(status["incident"] as? [String: Any])
        #expect(incident["rule"] as? String == "R10")
        #expect(incident["outcome"] as? String == "remote-deletion-refused")
        let owed = try #require(status["remote_deletions_owed"] as? [[String: Any]])
        #expect(owed.compactMap { $0["name"] as? String }.sorted() == interopFiles)
        #expect(remoteDeliveryFiles(server) == interopFiles)

        // Still refused: the next run owes the same, imports nothing new, and keeps the incident open.
        let second = try client.cli.run(["import", "--config", client.cli.config])
        #expect(second.status == 69, "\(second.stderr)")
        #expect(second.stdout.contains("remote deletions still owed"))
        #expect(!second.stdout.contains("downloaded 20250901"), "an owed file is downloaded again")
        #expect(try client.cli.json(["status", "--config", client.cli.config, "--json"])["incident"] is [String: Any])

        // The académie fixes its server: the deletions are done, the incident closes.
        unlink(server.denyMarker)
        let third = try client.cli.run(["import", "--config", client.cli.config])
        #expect(third.status == 69, "\(third.stderr)")
        #expect(third.stdout.contains("\(interopFiles.count) remote deletions owed by earlier runs done (R10)"))
        #expect(remoteDeliveryFiles(server).isEmpty)
        let after = try client.cli.json(["status", "--config", client.cli.config, "--json"])
        #expect(after["incident"] is NSNull)
        #expect((after["remote_deletions_owed"] as? [Any])?.isEmpty == true)
    }

    @Test("symbolic links: one inside remote_dir is taken; one leading out is reported and not followed")
    func symlinks() throws {
        let key = try rsaKey()
        let server = try SSHServer(authorizedKeys: [key + ".pub"])
        let store = server.remoteDirectory + "/store"
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        try dropDay(interopDay, into: store)
        for name in interopFiles where !name.contains("_Eleve_") {
            try FileManager.default.createSymbolicLink(
                atPath: server.remoteDirectory + "/" + name,
                withDestinationPath: "store/" + name
            )
        }
        let outside = TemporaryDirectory("outside")
        try dropDay(interopDay, into: outside.path)
        let pupils = "ENT1D_Complet_20250901_Eleve_0000.xml"
        let pupils2 = "ENT1D_Complet_20250901_Eleve_0001.xml"
        try FileManager.default.createSymbolicLink(
            atPath: server.remoteDirectory + "/" + pupils,
            withDestinationPath: outside.file(pupils)
        )
        try FileManager.default.createSymbolicLink(
            atPath: server.remoteDirectory + "/" + pupils2,
            withDestinationPath: "store/" + pupils2
        )
        let client = InteropClient(server, key: key)
        let result = try client.cli.run(["fetch", "--config", client.cli.config])
        // The pupils' file is a link out of remote_dir: not taken, so the delivery is incomplete and waits.
        #expect(result.status == 69, "\(result.stderr)")
        #expect(
            result.stdout.contains("\(pupils): a symbolic link leading out of remote_dir; not followed; not taken"),
            "\(result.stdout)"
        )
        #expect(result.stdout.contains("Eleve part 0000 is missing"))
        #expect(FileManager.default.fileExists(atPath: outside.file(pupils)))
        // Replaced by a link inside: the whole delivery is taken through the links.
        unlink(server.remoteDirectory + "/" + pupils)
        try FileManager.default.createSymbolicLink(
            atPath: server.remoteDirectory + "/" + pupils,
            withDestinationPath: "store/" + pupils
        )
        let second = try client.cli.run(["fetch", "--config", client.cli.config])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(client.spoolFiles.filter { $0.hasPrefix("20250901-Complet/ENT1D_") }.count == interopFiles.count)
    }

    @Test("a folder named like a delivery file is reported with its reason, not silently absent")
    func folderNamedLikeAFile() throws {
        let key = try rsaKey()
        let server = try SSHServer(authorizedKeys: [key + ".pub"])
        try dropDay(interopDay, into: server.remoteDirectory)
        let odd = "ENT1D_Complet_20250902_Eleve_0000.xml"
        try FileManager.default.createDirectory(
            atPath: server.remoteDirectory + "/" + odd,
            withIntermediateDirectories: true
        )
        let client = InteropClient(server, key: key)
        let result = try client.cli.run(["fetch", "--config", client.cli.config])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("skipped \(odd): a folder; not taken"), "\(result.stdout)")
    }

    @Test(
        "a database failure during the import of a spooled delivery is not a refusal: it waits and the next run imports it"
    )
    func failedImportWaits() throws {
        let key = try rsaKey()
        let server = try SSHServer(authorizedKeys: [key + ".pub"])
        try dropDay(interopDay, into: server.remoteDirectory)
        let client = InteropClient(server, key: key)
        #expect(try client.cli.run(["fetch", "--config", client.cli.config]).status == 0)
        #expect(remoteDeliveryFiles(server).isEmpty)
        // A real SQLite failure in the middle of the transaction (as a full disk would give).
        let sql =
            "CREATE TRIGGER fail BEFORE INSERT ON persons BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END;"
        try SQLiteShell.run(client.cli.database, sql)
        let failed = try client.cli.run(["import", "--config", client.cli.config])
        #expect(failed.status == 1, "\(failed.stderr)")
        #expect(failed.stderr.contains("waits in the spool"), "\(failed.stderr)")
        #expect(!client.spoolFiles.contains("20250901-Complet/.refused"))
        try SQLiteShell.run(client.cli.database, "DROP TRIGGER fail;")
        let next = try client.cli.run(["import", "--config", client.cli.config])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stdout.contains("Imported the Complet delivery of 2025-09-01"))
        #expect(client.spoolFiles.isEmpty)
    }

    @Test("SIGTERM during the import of a spooled delivery: exit 0, not marked refused, the next run imports it")
    func stoppedImportWaits() throws {
        let key = try rsaKey()
        let server = try SSHServer(authorizedKeys: [key + ".pub"])
        try writeBigDelivery(to: server.remoteDirectory)
        let client = InteropClient(server, key: key)
        #expect(try client.cli.run(["fetch", "--config", client.cli.config]).status == 0)
        let importing = try ChildProcess(Paths.aafdBinary, ["import", "--config", client.cli.config])
        usleep(400_000)
        importing.signal(SIGTERM)
        #expect(importing.wait() == 0)
        let students =
            (try client.cli.json(["status", "--config", client.cli.config, "--json"])["directory"] as? [String: Any])?[
                "students"
            ] as? Int
        try #require(students == 0, "the import finished before the stop; make the delivery bigger")
        #expect(!client.spoolFiles.contains("20250904-Complet/.refused"), "a stopped import was marked refused")
        let next = try client.cli.run(["import", "--config", client.cli.config])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stdout.contains("Imported the Complet delivery of 2025-09-04"))
    }

    @Test("authentication failure: the message says what happened (algorithms tried, refused by the server)")
    func authenticationMessage() throws {
        let key = try rsaKey()
        let other = try SSHServer.makeKey(keys.file("other"), pem: true)
        let server = try SSHServer(authorizedKeys: [other + ".pub"])
        let client = InteropClient(server, key: key)
        let result = try client.cli.run(["fetch", "--config", client.cli.config])
        #expect(result.status == 77)
        #expect(
            result.stderr.contains("rsa-sha2-512: refused by the server; rsa-sha2-256: refused by the server"),
            "\(result.stderr)"
        )
        #expect(!result.stderr.contains("ssh-rsa:"))
    }

    @Test(
        "check-config --connect: verifies the host key, authenticates, lists remote_dir, says what it would fetch; downloads and deletes nothing"
    )
    func checkConfigConnect() throws {
        let key = try rsaKey()
        let server =
            try ProFTPDServer.available
            ? ProFTPDServer(authorizedKeys: [key + ".pub"]) as any SFTPTestServer
            : SSHServer(authorizedKeys: [key + ".pub"])
        try dropDay(interopDay, into: server.remoteDirectory)
        let client = InteropClient(server, key: key)
        let result = try client.cli.run(["check-config", "--config", client.cli.config, "--connect"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("would download 20250901-Complet"), "\(result.stdout)")
        #expect(result.stdout.contains("host key"))
        #expect(remoteDeliveryFiles(server) == interopFiles)
        #expect(client.spoolFiles.isEmpty)
        // A wrong remote_dir is named.
        let wrong = InteropClient(server, key: key, extra: "")
        try (try String(contentsOfFile: wrong.cli.config, encoding: .utf8)).replacingOccurrences(
            of: "remote_dir = \"\(server.remoteDir)\"",
            with: "remote_dir = \"/nowhere\""
        )
        .write(toFile: wrong.cli.config, atomically: false, encoding: .utf8)
        let bad = try wrong.cli.run(["check-config", "--config", wrong.cli.config, "--connect"])
        #expect(bad.status == 69, "\(bad.stderr)")
        #expect(bad.stderr.contains("/nowhere"))
    }
}
