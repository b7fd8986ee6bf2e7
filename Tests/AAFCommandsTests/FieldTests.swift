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
        #expect(try runProgram("/usr/bin/sqlite3", [client.cli.database, sql]).status == 0)
        let failed = try client.cli.run(["import", "--config", client.cli.config])
        #expect(failed.status == 1, "\(failed.stderr)")
        #expect(failed.stderr.contains("waits in the spool"), "\(failed.stderr)")
        #expect(!client.spoolFiles.contains("20250901-Complet/.refused"))
        #expect(try runProgram("/usr/bin/sqlite3", [client.cli.database, "DROP TRIGGER fail;"]).status == 0)
        let next = try client.cli.run(["import", "--config", client.cli.config])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stdout.contains("Imported the Complet delivery of 2025-09-01"))
        #expect(client.spoolFiles.isEmpty)
    }

    @Test("SIGTERM during the import of a spooled delivery: exit 0, not marked refused, the next run imports it")
    func stoppedImportWaits() throws {
        let key = try rsaKey()
        let server = try SSHServer(authorizedKeys: [key + ".pub"])
        try writeSyntheticDelivery(
            pupils: 12_000,
            schools: 4,
            seed: 3,
            date: ExtractDate(year: 2025, month: 9, day: 4)!,
            partSize: 100_000,
            to: server.remoteDirectory
        )
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
        .write(toFile: wrong.cli.config, atomically: true, encoding: .utf8)
        let bad = try wrong.cli.run(["check-config", "--config", wrong.cli.config, "--connect"])
        #expect(bad.status == 69, "\(bad.stderr)")
        #expect(bad.stderr.contains("/nowhere"))
    }

    @Test("R16: an Ed25519 key is refused by default (78, naming annexe 4); accepted when accepted_key_types lists it")
    func keyTypes() throws {
        let key = try SSHServer.makeKey(keys.file("id_ed25519"), type: "ed25519", bits: nil)
        let server = try SSHServer(authorizedKeys: [key + ".pub"])
        try dropDay(interopDay, into: server.remoteDirectory)
        let refused = InteropClient(server, key: key)
        let result = try refused.cli.run(["fetch", "--config", refused.cli.config])
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("annexe 4"))
        #expect(remoteDeliveryFiles(server) == interopFiles)
        let check = try refused.cli.run(["check-config", "--config", refused.cli.config])
        #expect(check.status == 78)
        let agreed = InteropClient(server, key: key, extra: "accepted_key_types = [\"rsa\", \"ed25519\"]")
        let accepted = try agreed.cli.run(["fetch", "--config", agreed.cli.config])
        #expect(accepted.status == 0, "\(accepted.stderr)")
    }

    @Test("R10: delete_after_download = false is warned about by check-config, status and every fetch")
    func keepRemoteWarned() throws {
        let key = try rsaKey()
        let server = try SSHServer(authorizedKeys: [key + ".pub"])
        try dropDay(interopDay, into: server.remoteDirectory)
        let client = InteropClient(server, key: key, extra: "delete_after_download = false")
        let check = try client.cli.run(["check-config", "--config", client.cli.config])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("warning: delete_after_download = false"))
        let fetch = try client.cli.run(["fetch", "--config", client.cli.config])
        #expect(fetch.status == 0)
        #expect(fetch.stderr.contains("delete_after_download = false"))
        #expect(remoteDeliveryFiles(server) == interopFiles)
        let status = try client.cli.json(["status", "--config", client.cli.config, "--json"])
        #expect((status["warnings"] as? [String])?.first?.contains("R10") == true)
    }

    @Test(
        "a spool delivery refused by the R21 guard: `aafd import --accept-departures`, as printed, imports it and empties the spool"
    )
    func acceptDeparturesFromSpool() throws {
        let key = try rsaKey()
        let server = try SSHServer(authorizedKeys: [key + ".pub"])
        try dropDay(interopDay, into: server.remoteDirectory)
        let client = InteropClient(server, key: key)
        #expect(try client.cli.run(["import", "--config", client.cli.config]).status == 0)
        // Five pupils left of sixty: the mass-departure guard refuses.
        try writeSyntheticDelivery(
            pupils: 5,
            schools: 3,
            seed: 99,
            date: ExtractDate(year: 2025, month: 9, day: 5)!,
            partSize: 1000,
            to: server.remoteDirectory
        )
        let refused = try client.cli.run(["import", "--config", client.cli.config])
        #expect(refused.status == 65, "\(refused.stderr)")
        #expect(refused.stderr.contains("--accept-departures"))
        #expect(client.spoolFiles.contains("20250905-Complet/.refused"))
        let accepted = try client.cli.run(["import", "--config", client.cli.config, "--accept-departures"])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(accepted.stdout.contains("Imported the Complet delivery of 2025-09-05"))
        #expect(client.spoolFiles.isEmpty, "R10: the imported copy is still in the spool")
    }

    @Test(
        "R18: a spooled file changed after download (same size) or a file added to the spool is never imported: 74, incident, marked refused"
    )
    func spoolManifestVerified() throws {
        let key = try rsaKey()
        let server = try SSHServer(authorizedKeys: [key + ".pub"])
        for (case_, change) in [("changed", true), ("added", false)] {
            try dropDay(interopDay, into: server.remoteDirectory)
            let client = InteropClient(server, key: key)
            #expect(try client.cli.run(["fetch", "--config", client.cli.config]).status == 0)
            let folder = client.cli.temp.file("state/spool/20250901-Complet")
            if change {
                let file = folder + "/" + interopFiles[0]
                var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
                let i = try #require(bytes.firstIndex(of: UInt8(ascii: "A")))
                bytes[i] = UInt8(ascii: "B")
                try bytes.write(to: URL(fileURLWithPath: file))
            } else {
                try Data("<x/>".utf8).write(to: URL(fileURLWithPath: folder + "/ENT1D_Complet_20250901_Eleve_0009.xml"))
            }
            let result = try client.cli.run(["import", "--config", client.cli.config])
            #expect(result.status == 74, "\(case_): \(result.stderr)")
            #expect(result.stderr.contains("R18"), "\(case_): \(result.stderr)")
            let status = try client.cli.json(["status", "--config", client.cli.config, "--json"])
            #expect((status["directory"] as? [String: Any])?["students"] as? Int == 0, "\(case_): imported anyway")
            #expect(status["incident"] is [String: Any])
            #expect(client.spoolFiles.contains("20250901-Complet/.refused"))
        }
    }

    @Test(
        "R18: a delivery another local user dropped in the spool is never imported, not even with a manifest",
        .enabled(if: geteuid() == 0, "needs root")
    )
    func foreignSpoolFolder() throws {
        let key = try rsaKey()
        let server = try SSHServer(authorizedKeys: [key + ".pub"])
        let client = InteropClient(server, key: key)
        let folder = client.cli.temp.folder("state/spool/20991230-Complet")
        chmod(client.cli.temp.file("state"), 0o700)
        chmod(client.cli.temp.file("state/spool"), 0o700)
        chmod(folder, 0o700)
        try dropDay(interopDay, into: folder)
        try? FileManager.default.removeItem(atPath: folder + "/ficAlimMENESR.dtd")
        // Even a well-formed manifest does not help: the folder is not aafd's.
        var manifest = ""
        for name in interopFiles {
            let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
            manifest += "\(name)\t\(data.count)\t0\n"
        }
        try manifest.write(toFile: folder + "/.manifest", atomically: false, encoding: .utf8)
        chown(folder, 65534, 65534)
        let result = try client.cli.run(["import", "--config", client.cli.config])
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("R18"))
        let status = try client.cli.json(["status", "--config", client.cli.config, "--json"])
        #expect((status["directory"] as? [String: Any])?["students"] as? Int == 0)
    }

    @Test("R17: a host key both pinned and marked @revoked in known_hosts is refused (77); nothing downloaded")
    func revokedHostKey() throws {
        let key = try rsaKey()
        let server = try SSHServer(authorizedKeys: [key + ".pub"])
        try dropDay(interopDay, into: server.remoteDirectory)
        let pinned = try String(contentsOfFile: server.knownHosts, encoding: .utf8)
        try (pinned + "@revoked " + pinned).write(toFile: server.knownHosts, atomically: false, encoding: .utf8)
        let client = InteropClient(server, key: key)
        let result = try client.cli.run(["fetch", "--config", client.cli.config])
        #expect(result.status == 77, "\(result.stderr)")
        #expect(result.stderr.contains("@revoked"))
        #expect(remoteDeliveryFiles(server) == interopFiles)
    }

    @Test(
        "R16: a passphrase credential readable by others ($CREDENTIALS_DIRECTORY) is refused like passphrase_file (78)"
    )
    func credentialMode() throws {
        let key = try SSHServer.makeKey(keys.file("id_pass"), passphrase: "s3cret phrase")
        let server = try SSHServer(authorizedKeys: [key + ".pub"])
        try dropDay(interopDay, into: server.remoteDirectory)
        let client = InteropClient(server, key: key)
        let credentials = TemporaryDirectory("credentials")
        let file = credentials.write("sftp-passphrase", "s3cret phrase\n")
        let environment = ["PATH": "/usr/bin:/bin", "CREDENTIALS_DIRECTORY": credentials.path]
        chmod(file, 0o644)
        let open = try runProgram(Paths.aafdBinary, ["fetch", "--config", client.cli.config], environment: environment)
        #expect(open.status == 78, "\(open.stderr)")
        #expect(open.stderr.contains("passphrase credential"))
        chmod(file, 0o400)
        let closed = try runProgram(
            Paths.aafdBinary,
            ["fetch", "--config", client.cli.config],
            environment: environment
        )
        #expect(closed.status == 0, "\(closed.stderr)")
    }

    @Test(
        "a remote file over max_file_mib (a sparse file on the server) is not downloaded: reported, delivery left alone"
    )
    func sizeCap() throws {
        let key = try rsaKey()
        let server = try SSHServer(authorizedKeys: [key + ".pub"])
        try dropDay(interopDay, into: server.remoteDirectory)
        #expect(truncate(server.remoteDirectory + "/" + interopFiles[0], 3 << 20) == 0)
        let client = InteropClient(server, key: key, extra: "max_file_mib = 2")
        let result = try client.cli.run(["fetch", "--config", client.cli.config])
        #expect(result.status == 69, "\(result.stderr)")
        #expect(result.stdout.contains("over max_file_mib"), "\(result.stdout)")
        #expect(client.spoolFiles.filter { $0.hasSuffix(".xml") }.isEmpty)
        #expect(remoteDeliveryFiles(server) == interopFiles)
    }

    @Test(
        "a fetch onto a full file system: 74, no file kept under its final name, nothing deleted remotely; after space is freed, it succeeds",
        .enabled(if: geteuid() == 0, "needs root to mount a tmpfs")
    )
    func fetchOnFullDisk() throws {
        let key = try rsaKey()
        let server = try SSHServer(authorizedKeys: [key + ".pub"])
        try dropDay(interopDay, into: server.remoteDirectory)
        let client = InteropClient(server, key: key)
        let state = client.cli.temp.folder("state")
        #expect(try runProgram("/bin/mount", ["-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", state]).status == 0)
        defer { _ = try? runProgram("/bin/umount", ["-l", state]) }
        #expect(try client.cli.run(["status", "--config", client.cli.config]).status == 0)
        _ = try runProgram("/bin/dd", ["if=/dev/zero", "of=\(state)/filler", "bs=64k", "count=1000"])
        let full = try client.cli.run(["fetch", "--config", client.cli.config])
        #expect(full.status == 74, "\(full.stderr)")
        #expect(remoteDeliveryFiles(server) == interopFiles)
        #expect(
            !client.spoolFiles.contains {
                $0.hasSuffix(".xml") && !$0.contains(".part") && $0.hasPrefix("20250901-Complet/ENT")
                    && !FileManager.default.fileExists(atPath: state + "/spool/20250901-Complet/.manifest")
            }
        )
        unlink(state + "/filler")
        let next = try client.cli.run(["import", "--config", client.cli.config])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(remoteDeliveryFiles(server).isEmpty)
    }

    @Test("import --dry-run downloads and deletes nothing remotely")
    func dryRunLeavesServer() throws {
        let key = try rsaKey()
        let server = try SSHServer(authorizedKeys: [key + ".pub"])
        try dropDay(interopDay, into: server.remoteDirectory)
        let client = InteropClient(server, key: key)
        let result = try client.cli.run(["import", "--config", client.cli.config, "--dry-run"])
        #expect(result.stdout.contains("would download 20250901-Complet"), "\(result.stdout) \(result.stderr)")
        #expect(remoteDeliveryFiles(server) == interopFiles)
        #expect(client.spoolFiles.isEmpty)
    }
}
