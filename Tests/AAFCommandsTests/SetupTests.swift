import AAFTestSupport
import Foundation
import Testing

@testable import AAFCommands

#if canImport(Glibc)
import Glibc
#endif

/// `ssh-keygen -lf FILE`: "BITS SHA256:… COMMENT (TYPE)" per key.
func keygenFingerprints(_ file: String) throws -> [(bits: Int, fingerprint: String, type: String)] {
    let listed = try runProgram("/usr/bin/ssh-keygen", ["-l", "-E", "sha256", "-f", file])
    return listed.stdout.split(separator: "\n").compactMap { line in
        let fields = line.split(separator: " ")
        guard fields.count >= 3, let bits = Int(fields[0]) else { return nil }
        return (
            bits, String(fields[1]), String(fields.last ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "()"))
        )
    }
}

func fileMode(_ path: String) -> mode_t {
    var info = stat()
    return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : 0
}

/// Issue 25: `aafd setup key` and `aafd setup host-key`, against ssh-keygen's own reading of what they write and a
/// real sshd.
@Suite("aafd setup: the key pair and the pinned host key")
struct SetupTests {
    /// A client key made by `aafd setup key` in a folder of its own: the folder (the caller keeps it) and the key's
    /// path (`.pub` beside it).
    func madeKey(_ folder: String) throws -> (TemporaryDirectory, String) {
        let keys = TemporaryDirectory(folder)
        let key = keys.file("aafd_rsa")
        let cli = CLI()
        #expect(try cli.run(["setup", "key", "--key", key, "--config", cli.config]).status == 0)
        return (keys, key)
    }

    @Test(
        "setup key: RSA 2048 by libssh, 0600, the request carries the exact public key and fingerprint; never overwritten"
    )
    func key() throws {
        let cli = CLI(extra: "[convention]\ncommune = \"Mairie de Testville\"\n")
        let keys = TemporaryDirectory("setup-keys")
        let path = keys.file("aafd_rsa")
        let made = try cli.run([
            "setup", "key", "--key", path, "--config", cli.config, "--contact", "M. Martin, DSI, 01 02 03 04 05",
            "--source-address", "203.0.113.7",
        ])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(fileMode(path) == 0o600)
        let publicLine = try String(contentsOfFile: path + ".pub", encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(publicLine.hasPrefix("ssh-rsa AAAA") && publicLine.hasSuffix(" aafd ENT1D Mairie de Testville"))
        let read = try #require(try keygenFingerprints(path + ".pub").first)
        #expect(read.bits == 2048 && read.type == "RSA")
        // The private key itself is readable by OpenSSH and is the same key.
        #expect(try keygenFingerprints(path).first?.fingerprint == read.fingerprint)
        #expect(made.stdout.contains("Fingerprint: \(read.fingerprint)"))
        #expect(made.stdout.contains(publicLine))
        #expect(made.stdout.contains("Empreinte de la clé : \(read.fingerprint)"))
        #expect(made.stdout.contains("Commune : Mairie de Testville"))
        #expect(made.stdout.contains("Adresse IP source de la connexion : 203.0.113.7"))
        #expect(made.stdout.contains("Contact : M. Martin, DSI"))
        if getuid() == 0, let aafd = getpwnam("aafd") {
            var info = stat()
            #expect(stat(path, &info) == 0 && info.st_uid == aafd.pointee.pw_uid)
        }

        // Never overwritten.
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let again = try cli.run(["setup", "key", "--key", path, "--config", cli.config])
        #expect(again.status == 73)
        #expect(again.stderr.contains("--replace"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)

        // --replace keeps the old pair as .old; a second replacement waits until the .old is removed.
        let replaced = try cli.run(["setup", "key", "--key", path, "--config", cli.config, "--replace"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path + ".old")) == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) != before)
        #expect(try keygenFingerprints(path + ".pub.old").first?.fingerprint == read.fingerprint)
        #expect(try cli.run(["setup", "key", "--key", path, "--config", cli.config, "--replace"]).status == 73)
    }

    @Test("setup key refuses a folder another user can write, and writes nothing there")
    func openFolder() throws {
        let cli = CLI()
        let keys = TemporaryDirectory("setup-open")
        let folder = keys.folder("open")
        chmod(folder, 0o777)
        let result = try cli.run(["setup", "key", "--key", folder + "/aafd_rsa", "--config", cli.config])
        #expect(result.status == 78, "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test(
        "setup host-key against a real sshd: a wrong fingerprint exits 77 and writes nothing; the right one pins, and the made key logs in",
        .enabled(if: SSHServer.available, "needs root and openssh-server")
    )
    func hostKey() throws {
        let (keys, key) = try madeKey("setup-host")
        for hostKeyType in ["ed25519", "rsa"] {
            var options = SSHServer.Options()
            options.hostKeyType = hostKeyType
            let server = try SSHServer(authorizedKeys: [key + ".pub"], options: options)
            defer { server.stop() }
            let pinned = keys.file("known_hosts-\(hostKeyType)")
            let cli = CLI(
                extra: sftpSection(server, key: key, knownHosts: pinned, remoteDir: server.remoteDirectory)
            )
            let expected = try #require(try keygenFingerprints(server.knownHosts).first?.fingerprint)

            let wrong = try cli.run([
                "setup", "host-key", "--fingerprint", "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                "--config", cli.config,
            ])
            #expect(wrong.status == 77, "\(hostKeyType): \(wrong.stderr)")
            #expect(wrong.stdout.contains(expected), "every offered key is shown with its fingerprint")
            #expect(!FileManager.default.fileExists(atPath: pinned))
            #expect(try cli.run(["check-config", "--connect", "--config", cli.config]).status != 0)

            // As the académie may write it: without the prefix, with padding.
            let given = String(expected.dropFirst("SHA256:".count)) + "="
            let right = try cli.run(["setup", "host-key", "--fingerprint", given, "--config", cli.config])
            #expect(right.status == 0, "\(hostKeyType): \(right.stderr)")
            #expect(right.stdout.contains("matches"))
            #expect(try keygenFingerprints(pinned).map(\.fingerprint) == [expected])
            let check = try cli.run(["check-config", "--connect", "--config", cli.config])
            #expect(check.status == 0, "\(hostKeyType): \(check.stderr)")

            // Pinned once: a second run does not replace it silently.
            #expect(try cli.run(["setup", "host-key", "--fingerprint", given, "--config", cli.config]).status == 73)
        }
    }

    @Test(
        "the pair setup key made and the host key setup host-key pinned fetch a delivery from ProFTPD and asyncssh",
        .enabled(if: SSHServer.available, "needs root and openssh-server")
    )
    func otherServers() throws {
        let (keys, key) = try madeKey("setup-interop")
        let servers: [any SFTPTestServer] = [
            try ProFTPDServer(authorizedKeys: [key + ".pub"]), try AsyncSSHServer(authorizedKeys: [key + ".pub"]),
        ]
        for (index, server) in servers.enumerated() {
            defer { server.stop() }
            let pinned = keys.file("known_hosts-\(index)")
            let cli = CLI(extra: sftpSection(server, key: key, knownHosts: pinned, remoteDir: server.remoteDir))
            let expected = try #require(try keygenFingerprints(server.knownHosts).first?.fingerprint)
            let pin = try cli.run(["setup", "host-key", "--fingerprint", expected, "--config", cli.config])
            #expect(pin.status == 0, "\(type(of: server)): \(pin.stderr)")
            try dropDay(interopDay, into: server.remoteDirectory)
            let fetched = try cli.run(["fetch", "--config", cli.config])
            #expect(fetched.status == 0, "\(type(of: server)): \(fetched.stderr)")
            #expect(remoteDeliveryFiles(server).isEmpty, "\(type(of: server))")
        }
    }

    @Test(
        "setup --non-interactive against OpenSSH (plain, chrooted with an RSA host key), ProFTPD and asyncssh: a wrong fingerprint writes nothing; the right one writes the configuration in place, pins and checks the link",
        .enabled(
            if: SSHServer.available && ProFTPDServer.available && AsyncSSHServer.available,
            "needs root, openssh-server, proftpd and the asyncssh venv"
        )
    )
    func nonInteractive() throws {
        let (keys, key) = try madeKey("setup-fleet")
        // The interop matrix's three server implementations; OpenSSH also chrooted, with an RSA host key, and
        // reading with 32 KiB answers (asyncssh capped).
        let servers: [any SFTPTestServer] = [
            try SSHServer(authorizedKeys: [key + ".pub"]),
            try SSHServer(authorizedKeys: [key + ".pub"], options: .init(hostKeyType: "rsa", chroot: true)),
            try ProFTPDServer(authorizedKeys: [key + ".pub"]),
            try AsyncSSHServer(authorizedKeys: [key + ".pub"], reads: .capped(32768)),
        ]
        for (index, server) in servers.enumerated() {
            defer { server.stop() }
            let name = "\(type(of: server))"
            let cli = CLI()
            let pinned = keys.file("known_hosts-fleet-\(index)")
            let original = try String(contentsOfFile: cli.config, encoding: .utf8) + "# the town hall's own note\n"
            try original.write(toFile: cli.config, atomically: true, encoding: .utf8)
            let arguments = [
                "setup", "--non-interactive", "--host", "127.0.0.1", "--port", String(server.port), "--user",
                server.login, "--remote-dir", server.remoteDir, "--key", key, "--known-hosts", pinned,
                "--commune", "Mairie de \"Test\" ville", "--config", cli.config,
            ]
            let wrong = try cli.run(
                arguments + ["--fingerprint", "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]
            )
            #expect(wrong.status == 77, "\(name): \(wrong.stderr)")
            #expect(try String(contentsOfFile: cli.config, encoding: .utf8) == original, "\(name): nothing written")
            #expect(!FileManager.default.fileExists(atPath: pinned))

            let expected = try #require(try keygenFingerprints(server.knownHosts).first?.fingerprint)
            let done = try cli.run(arguments + ["--fingerprint", expected])
            #expect(done.status == 0, "\(name): \(done.stderr)")
            #expect(done.stdout.contains("systemctl enable --now aafd.service"), "\(name)")
            let written = try String(contentsOfFile: cli.config, encoding: .utf8)
            #expect(written.hasPrefix(original.components(separatedBy: "\n").first ?? ""), "\(name)")
            #expect(written.contains("# the town hall's own note"), "\(name): comments kept")
            #expect(
                written.contains("port = \(server.port)")
                    && written.contains("commune = \"Mairie de \\\"Test\\\" ville\"")
            )
            #expect(try keygenFingerprints(pinned).map(\.fingerprint) == [expected], "\(name)")
            try dropDay(interopDay, into: server.remoteDirectory)
            let fetched = try cli.run(["fetch", "--config", cli.config])
            #expect(fetched.status == 0, "\(name): \(fetched.stderr)")
        }
    }

    @Test(
        "setup --instance NAME: a new commune's configuration made from nothing, its state folder the aafd@NAME unit's, spread_minutes set",
        .enabled(if: SSHServer.available, "needs root and openssh-server")
    )
    func instance() throws {
        let keys = TemporaryDirectory("setup-instance")
        let key = keys.file("vitry_rsa")
        let first = CLI()
        #expect(try first.run(["setup", "key", "--key", key, "--config", first.config]).status == 0)
        let server = try SSHServer(authorizedKeys: [key + ".pub"])
        defer { server.stop() }
        let name = "t" + UUID().uuidString.prefix(8).lowercased()
        let state = "/var/lib/aafd-\(name)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        let config = keys.file("\(name).toml")
        let expected = try #require(try keygenFingerprints(server.knownHosts).first?.fingerprint)
        let cli = CLI()
        let bad = try cli.run(["setup", "--instance", "Vitry/../x", "--non-interactive", "--config", config])
        #expect(bad.status == 64 && bad.stderr.contains("--instance"))
        let done = try cli.run([
            "setup", "--instance", name, "--non-interactive", "--config", config, "--host", "127.0.0.1", "--port",
            String(server.port), "--user", server.login, "--remote-dir", server.remoteDir, "--key", key,
            "--known-hosts", keys.file("\(name).known_hosts"), "--commune", "Mairie de Vitry", "--fingerprint",
            expected,
        ])
        #expect(done.status == 0, "\(done.stderr)")
        #expect(done.stdout.contains("systemctl enable --now aafd@\(name).service"), "\(done.stdout)")
        let written = try String(contentsOfFile: config, encoding: .utf8)
        #expect(written.contains("database = \"\(state)/aafd.sqlite3\""), "\(written)")
        #expect(written.contains("spread_minutes = 30") && written.contains("commune = \"Mairie de Vitry\""))
        #expect(fileMode(config) == 0o644)
        // The spread shows in the settings, and the state folder is the unit's.
        let shown = try cli.run(["check-config", "--config", config])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(FileManager.default.fileExists(atPath: state + "/spool"))
    }

    @Test(
        "the configuration editor: the package's all-commented file gets live [sftp] and [convention] keys, comments kept"
    )
    func editor() throws {
        let example = try String(
            contentsOfFile: Paths.root.appendingPathComponent("Config/aafd.example.toml").path,
            encoding: .utf8
        )
        // As scripts/package.sh ships it: every setting commented out.
        let shipped = example.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.isEmpty || line.hasPrefix("#") || line.first == " " ? String(line) : "# " + line
        }.joined(separator: "\n")
        var text = ConfigurationText(shipped)
        text.set("directory", "database", "\"/var/lib/aafd/aafd.sqlite3\"")
        text.set("sftp", "host", "\"sftp.example\"")
        text.set("sftp", "user", "\"mairie\"")
        text.set("convention", "commune", "\"Mairie de Testville\"")
        let lines = text.text.split(separator: "\n").map(String.init)
        #expect(
            lines.contains("[sftp]") && lines.contains("host = \"sftp.example\"") && lines.contains("user = \"mairie\"")
        )
        #expect(lines.contains("[convention]") && lines.contains("commune = \"Mairie de Testville\""))
        // Every comment line of the shipped file is still there, in order.
        let comments = shipped.split(separator: "\n").filter {
            $0.hasPrefix("# ") && !$0.contains(" = ") && !$0.hasPrefix("# [")
        }
        #expect(comments.allSatisfy { lines.contains(String($0)) })
        #expect(lines.filter { $0 == "[sftp]" }.count == 1)
    }

    @Test("setup host-key needs a fingerprint: there is no way to pin unseen (R17)")
    func noFingerprint() throws {
        let cli = CLI()
        let result = try cli.run(["setup", "host-key", "--host", "127.0.0.1", "--config", cli.config])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--fingerprint"))
    }
}
