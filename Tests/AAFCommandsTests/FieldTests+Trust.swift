import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// FieldTests, continued: key types, remote deletions kept on the server, host keys, limits, dry runs.
extension FieldTests {
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
        "R18: a spooled file changed after download (same size) or a file added to the spool is never imported: 65 under R18, incident, marked refused"
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
            #expect(result.status == 65, "\(case_): \(result.stderr)")
            #expect(result.stderr.contains("R18"), "\(case_): \(result.stderr)")
            let status = try client.cli.json(["status", "--config", client.cli.config, "--json"])
            #expect((status["directory"] as? [String: Any])?["students"] as? Int == 0, "\(case_): imported anyway")
            let incident = try #require(status["incident"] as? [String: Any], "\(case_)")
            #expect(incident["rule"] as? String == "R18", "\(case_): \(incident)")
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
