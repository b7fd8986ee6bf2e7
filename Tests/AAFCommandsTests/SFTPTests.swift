import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real sshd, a client key, and an aafd configuration pointing at both.
final class SFTPSetup {
    let keys = TemporaryDirectory("keys")
    let server: SSHServer
    let cli: CLI
    let key: String

    /// - Parameters:
    ///   - makeKey: writes the client key into the given path and returns the key path to configure.
    ///   - extra: more `[sftp]` lines.
    init(
        makeKey: (String) throws -> String = { try SSHServer.makeKey($0, pem: true) },
        knownHosts: ((SSHServer, TemporaryDirectory) -> String)? = nil,
        remoteDir: String? = nil,
        extra: String = ""
    ) throws {
        key = try makeKey(keys.file("id"))
        server = try SSHServer(authorizedKeys: [key + ".pub"])
        let pinned = knownHosts?(server, keys) ?? server.knownHosts
        cli = CLI(
            extra: sftpSection(
                server,
                key: key,
                knownHosts: pinned,
                remoteDir: remoteDir ?? server.remoteDirectory,
                extra: extra
            )
        )
    }

    /// Puts a committed fixture day on the server.
    func drop(_ compact: String) throws {
        let source = Paths.fixtures.appendingPathComponent("ent1d/\(compact)").path
        for name in try FileManager.default.contentsOfDirectory(atPath: source) {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: server.remoteDirectory + "/" + name)
        }
    }

    var remoteFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: server.remoteDirectory)) ?? []).sorted()
    }

    var spool: String { cli.temp.file("state/spool") }

    /// Every file under the spool, hidden ones included, relative to it.
    var spoolFiles: [String] {
        (FileManager.default.enumerator(atPath: spool)?.allObjects as? [String] ?? []).sorted()
    }

    func importOverSFTP(_ extra: [String] = []) throws -> ProcessResult {
        try cli.run(["import", "--config", cli.config] + extra)
    }
}

@Suite("SFTP delivery against a real OpenSSH sshd", .enabled(if: SSHServer.available, "needs root and openssh-server"))
struct SFTPTests {
    @Test("RSA-2048 PEM key: fetched, remote files deleted, imported, spool emptied (R10, R16, R17)")
    func rsaPEM() throws {
        let s = try SFTPSetup()
        try s.drop("20250901")
        let result = try s.importOverSFTP()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("downloaded 20250901-Complet"))
        // R10: the DTD stays (not a delivery file); every delivery file is gone from the server and the spool.
        #expect(s.remoteFiles == ["ficAlimMENESR.dtd"])
        #expect(s.spoolFiles.isEmpty)
        let status = try s.cli.json(["status", "--config", s.cli.config, "--json"])
        #expect((status["directory"] as? [String: Any])?["students"] as? Int == 60)
        // Nothing new: 69, and it says so.
        let again = try s.importOverSFTP()
        #expect(again.status == 69)
        #expect(again.stderr.contains("no new delivery"))
    }

    @Test("OpenSSH-format key with a passphrase from passphrase_file")
    func passphrase() throws {
        let keys = TemporaryDirectory("pp")
        let passphraseFile = keys.write("passphrase", "correct horse\n")
        chmod(passphraseFile, 0o600)
        let s = try SFTPSetup(
            makeKey: { try SSHServer.makeKey($0, passphrase: "correct horse") },
            extra: "passphrase_file = \"\(passphraseFile)\""
        )
        try s.drop("20250901")
        let result = try s.cli.run(["fetch", "--config", s.cli.config])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(s.spoolFiles.contains("20250901-Complet/ENT1D_Complet_20250901_Eleve_0000.xml"))
        // Without the passphrase the key cannot be read: a configuration error (78), not a server refusal.
        let bare = try SFTPSetup(makeKey: { try SSHServer.makeKey($0, passphrase: "secret") })
        let refused = try bare.cli.run(["fetch", "--config", bare.cli.config])
        #expect(refused.status == 78)
        #expect(refused.stderr.contains("passphrase"))
    }

    @Test("a changed host key stops the run before authentication: exit 77, nothing downloaded or deleted (R17)")
    func wrongHostKey() throws {
        let s = try SFTPSetup(knownHosts: { server, folder in
            try! SSHServer.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", folder.file("other")])
            let other = try! String(contentsOfFile: folder.file("other.pub"), encoding: .utf8).split(separator: " ")
                .prefix(2).joined(separator: " ")
            return folder.write("known_hosts", "[127.0.0.1]:\(server.port) \(other)\n")
        })
        try s.drop("20250901")
        let before = s.remoteFiles
        let result = try s.importOverSFTP()
        #expect(result.status == 77)
        #expect(result.stderr.contains("does not match"))
        #expect(result.stderr.contains("SHA256:"))
        #expect(s.remoteFiles == before)
        #expect(s.spoolFiles.isEmpty)
    }

    @Test("an unknown host is refused (77) and aafd adds nothing to known_hosts (no TOFU)")
    func unknownHost() throws {
        let s = try SFTPSetup(knownHosts: { _, folder in folder.write("known_hosts", "") })
        try s.drop("20250901")
        let result = try s.importOverSFTP()
        #expect(result.status == 77)
        #expect(result.stderr.contains("not in"))
        #expect(try String(contentsOfFile: s.keys.file("known_hosts"), encoding: .utf8).isEmpty)
        #expect(s.spoolFiles.isEmpty)
    }

    @Test("a key file readable by others is refused with the fix (78, R16)")
    func keyMode() throws {
        let s = try SFTPSetup()
        chmod(s.key, 0o644)
        let result = try s.importOverSFTP()
        #expect(result.status == 78)
        #expect(result.stderr.contains("chmod 600"))
    }

    @Test("a 1024-bit RSA key is refused (78, R16)")
    func shortKey() throws {
        let s = try SFTPSetup(makeKey: { try SSHServer.makeKey($0, bits: 1024) })
        let result = try s.importOverSFTP()
        #expect(result.status == 78)
        #expect(result.stderr.contains("1024-bit"))
        #expect(result.stderr.contains("RSA-2048"))
    }

    @Test("a key the server does not know is refused (77)")
    func unknownKey() throws {
        let s = try SFTPSetup()
        try SSHServer.makeKey(s.keys.file("stranger"))
        let config = try String(contentsOfFile: s.cli.config, encoding: .utf8).replacingOccurrences(
            of: s.key,
            with: s.keys.file("stranger")
        )
        try config.write(toFile: s.cli.config, atomically: false, encoding: .utf8)
        let result = try s.importOverSFTP()
        #expect(result.status == 77)
        #expect(result.stderr.contains("refused the key"))
    }

    @Test("a missing remote folder: exit 69 naming it")
    func missingRemoteDir() throws {
        let s = try SFTPSetup(remoteDir: "/nonexistent/aafd-drop")
        let result = try s.importOverSFTP()
        #expect(result.status == 69)
        #expect(result.stderr.contains("/nonexistent/aafd-drop"))
        #expect(result.stderr.contains("no such file"))
    }

    @Test("an unreachable server: exit 69")
    func unreachable() throws {
        let s = try SFTPSetup()
        s.server.stop()
        let result = try s.importOverSFTP()
        #expect(result.status == 69)
        #expect(result.stderr.contains("cannot connect"))
    }

    @Test("three mornings waiting: imported oldest first (R20), all remote files deleted")
    func catchUp() throws {
        let s = try SFTPSetup()
        for day in ["20250903", "20250901", "20250902"] { try s.drop(day) }
        let result = try s.importOverSFTP()
        #expect(result.status == 0, "\(result.stderr)")
        let order = try ["2025-09-01", "2025-09-02", "2025-09-03"].map {
            try #require(result.stdout.range(of: "delivery of \($0)")?.lowerBound, "\(result.stdout)")
        }
        #expect(order[0] < order[1] && order[1] < order[2])
        #expect(s.remoteFiles == ["ficAlimMENESR.dtd"])
        let status = try s.cli.json(["status", "--config", s.cli.config, "--json"])
        #expect((status["last_success"] as? [String: Any])?["extract_date"] as? String == "2025-09-03")
    }

    @Test("an incomplete delivery on the server is neither imported nor deleted")
    func incomplete() throws {
        let s = try SFTPSetup()
        try s.drop("20250902")
        try FileManager.default.removeItem(
            atPath: s.server.remoteDirectory + "/ENT1D_Complet_20250902_PersEducNat_0000.xml"
        )
        let before = s.remoteFiles
        let result = try s.importOverSFTP()
        #expect(result.status == 69)
        #expect(result.stderr.contains("incomplete"))
        #expect(s.remoteFiles == before)
        #expect(s.spoolFiles.isEmpty)
    }

    @Test("a delivery refused at import stays in the spool, marked refused; the remote copy is gone (R10)")
    func refusedKept() throws {
        let s = try SFTPSetup()
        try s.drop("20250901")
        let path = s.server.remoteDirectory + "/ENT1D_Complet_20250901_PersRelEleve_0002.xml"
        let data = FileManager.default.contents(atPath: path)!
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        let result = try s.importOverSFTP()
        #expect(result.status == 65)
        #expect(result.stderr.contains("PersRelEleve_0002.xml:"))
        #expect(s.spoolFiles.contains("20250901-Complet/.refused"))
        #expect(s.remoteFiles == ["ficAlimMENESR.dtd"])
    }

    func bigDelivery(on s: SFTPSetup) throws {
        try writeBigDelivery(to: s.server.remoteDirectory)
    }

    /// Waits until a `.part` file in the spool holds some bytes.
    func waitForPartialFile(_ s: SFTPSetup, timeout: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            for f in s.spoolFiles where f.hasSuffix(".part") {
                let size = (try? FileManager.default.attributesOfItem(atPath: s.spool + "/" + f)[.size] as? Int) ?? 0
                if size > 0 { return true }
            }
            usleep(500)
        }
        return false
    }

    func startFetch(_ s: SFTPSetup) throws -> ChildProcess {
        try ChildProcess(Paths.aafdBinary, ["fetch", "--config", s.cli.config])
    }

    @Test(
        "the connection killed mid-transfer: no file under its final name, nothing deleted remotely; the next run succeeds"
    )
    func killedMidTransfer() throws {
        let s = try SFTPSetup()
        try bigDelivery(on: s)
        let remote = s.remoteFiles
        let fetch = try startFetch(s)
        #expect(waitForPartialFile(s))
        s.server.signalSessions(SIGKILL)
        #expect(fetch.wait() == 69)
        let inSpool = s.spoolFiles
        #expect(!inSpool.contains { $0.hasSuffix(".part") })
        // Nothing was committed: no manifest lists a file, so nothing may be deleted remotely, and the next run
        // downloads again whatever it has no durable record of.
        let manifest = (try? String(contentsOfFile: s.spool + "/20250904-Complet/.manifest", encoding: .utf8)) ?? ""
        #expect(manifest.isEmpty)
        #expect(s.remoteFiles == remote)
        let next = try s.importOverSFTP(["--accept-departures"])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(s.remoteFiles == [])
        #expect(s.spoolFiles.isEmpty)
    }

    @Test("a stalled transfer ends within io_timeout_seconds, leaving no partial file")
    func stalled() throws {
        let s = try SFTPSetup()
        try bigDelivery(on: s)
        let fetch = try startFetch(s)
        #expect(waitForPartialFile(s))
        let stoppedAt = Date()
        s.server.signalSessions(SIGSTOP)
        let status = fetch.wait()
        let waited = Date().timeIntervalSince(stoppedAt)
        s.server.signalSessions(SIGCONT)
        #expect(status == 69)
        #expect(waited < 15, "took \(waited) s with io_timeout_seconds = 5")
        #expect(!s.spoolFiles.contains { $0.hasSuffix(".part") })
    }
}

/// A delivery big enough that a transfer or an import can be caught in the middle (12,000 pupils, 2025-09-04).
func writeBigDelivery(to folder: String) throws {
    try writeSyntheticDelivery(
        pupils: 12_000,
        schools: 4,
        seed: 3,
        date: ExtractDate(year: 2025, month: 9, day: 4)!,
        partSize: 100_000,
        to: folder
    )
}
