import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Another local user, and files aafd did not make (R18). Runs as root, as CI does, to give files to `nobody`.
@Suite("Not fooled by the host (R18)", .enabled(if: geteuid() == 0, "needs root to give files to another user"))
struct HostTrustTests {
    let nobody: uid_t = 65534

    func mode(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    @Test("a database another user pre-created, or made readable by others, is refused (78) and left untouched")
    func foreignDatabase() throws {
        for (label, toNobody) in [("0666", false), ("owned by nobody", true)] {
            let cli = CLI()
            cli.temp.folder("state")
            chmod(cli.temp.file("state"), 0o700)
            #expect(FileManager.default.createFile(atPath: cli.database, contents: Data()))
            if toNobody {
                chown(cli.database, nobody, nobody)
                chmod(cli.database, 0o600)
            } else {
                chmod(cli.database, 0o666)
            }
            let before = mode(cli.database)
            let result = try cli.importDay("20250901")
            #expect(result.status == 78, "\(label): \(result.stderr)")
            #expect(result.stderr.contains("R18"), "\(label)")
            #expect(mode(cli.database) == before, "\(label): its mode was changed")
            let check = try cli.run(["check-config", "--config", cli.config])
            #expect(check.status == 78, "\(label)")
        }
    }

    @Test("database = a file that is not a SQLite database: refused (78), its mode and content untouched")
    func notADatabase() throws {
        let cli = CLI()
        cli.temp.folder("state")
        chmod(cli.temp.file("state"), 0o700)
        let text = "root:x:0:0:root:/root:/bin/bash\n"
        #expect(
            FileManager.default.createFile(
                atPath: cli.database,
                contents: Data(text.utf8),
                attributes: [.posixPermissions: 0o600]
            )
        )
        let result = try cli.importDay("20250901")
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("not a SQLite database"))
        #expect(try String(contentsOfFile: cli.database, encoding: .utf8) == text)
        #expect(mode(cli.database) == 0o600)
    }

    @Test("a state folder writable by others is refused (78); check-config says so")
    func openStateFolder() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        chmod(cli.temp.file("state"), 0o777)
        let result = try cli.importDay("20250902")
        #expect(result.status == 78, "\(result.stderr)")
        let check = try cli.run(["check-config", "--config", cli.config])
        #expect(check.status == 78)
        #expect(check.stderr.contains("chmod 700"))
    }

    @Test("a configuration file writable by group or others is refused (78): it holds a command aafd runs")
    func openConfiguration() throws {
        let cli = CLI()
        chmod(cli.config, 0o666)
        let result = try cli.run(["status", "--config", cli.config])
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("configuration file"))
        chmod(cli.config, 0o644)
        #expect(try cli.run(["check-config", "--config", cli.config]).status == 0)
    }
}

@Suite("Relative paths in the configuration")
struct RelativePathTests {
    @Test(
        "relative paths are resolved against the configuration file's folder, from any working directory; check-config ends"
    )
    func relativeToConfig() throws {
        let folder = TemporaryDirectory("relative")
        let config = folder.write("aafd.toml", "[directory]\ndatabase = \"relstate/aafd.sqlite3\"\n")
        let fixture = Paths.fixtures.appendingPathComponent("ent1d/20250901").path
        let run = try runProgram(
            "/bin/sh",
            ["-c", "cd / && exec \"$0\" import --config \"$1\" --from-dir \"$2\"", Paths.aafdBinary, config, fixture],
            environment: ["PATH": "/usr/bin:/bin"]
        )
        #expect(run.status == 0, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.file("relstate/aafd.sqlite3")))
        #expect(!FileManager.default.fileExists(atPath: "/relstate"))
        let check = try runProgram(
            "/bin/sh",
            ["-c", "cd / && exec \"$0\" check-config --config \"$1\"", Paths.aafdBinary, config],
            environment: ["PATH": "/usr/bin:/bin"]
        )
        #expect(check.status == 0, "\(check.stderr)")
        let fresh = TemporaryDirectory("relative-new")
        let other = fresh.write("aafd.toml", "[directory]\ndatabase = \"nowhere/yet/aafd.sqlite3\"\n")
        let checkNew = try runProgram(
            Paths.aafdBinary,
            ["check-config", "--config", other],
            environment: ["PATH": "/usr/bin:/bin"]
        )
        #expect(checkNew.status == 0, "\(checkNew.stderr)")
    }
}

@Suite("Questions never create the directory")
struct ReadOnlyCommandTests {
    @Test(
        "status, history, person show, certificate and consent list before any import: clear answers, no database created"
    )
    func beforeFirstImport() throws {
        let cli = CLI()
        let status = try cli.run(["status", "--config", cli.config])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("no directory yet"))
        let json = try cli.json(["status", "--config", cli.config, "--json"])
        #expect(json["exists"] as? Bool == false)
        #expect(try cli.run(["history", "--config", cli.config]).status == 0)
        #expect(try cli.run(["consent", "list", "--config", cli.config]).status == 0)
        let person = try cli.run(["person", "show", "4100000", "--config", cli.config])
        #expect(person.status == 66)
        #expect(person.stderr.contains("no directory yet"))
        #expect(try cli.run(["certificate", "--config", cli.config]).status == 66)
        #expect(!FileManager.default.fileExists(atPath: cli.database), "a question created the database")
    }
}

@Suite("A damaged database")
struct DamagedDatabaseTests {
    @Test(
        "a flipped page or a truncated file: detected at start (74, what to do, the alert runs), and not written to",
        arguments: ["flipped", "truncated"]
    )
    func damaged(_ how: String) throws {
        let alerts = TemporaryDirectory("damage-alert")
        let log = alerts.file("alert.txt")
        let cli = CLI(extra: "[alert]\ncommand = \"echo $AAFD_OUTCOME >> \(log)\"\n")
        #expect(try cli.importDay("20250901").status == 0)
        try SQLiteShell.run(cli.database, "PRAGMA wal_checkpoint(TRUNCATE);")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: cli.database))
        if how == "flipped" {
            // Scribble over a B-tree page in the middle of the file (not the header page).
            let page = 16384
            let start = (bytes.count / page / 2) * page
            for i in start..<(start + 64) { bytes[i] ^= 0xFF }
        } else {
            bytes = bytes.prefix(bytes.count / 2)
        }
        try bytes.write(to: URL(fileURLWithPath: cli.database))
        let before = try Data(contentsOf: URL(fileURLWithPath: cli.database))
        let result = try cli.importDay("20250902")
        #expect(result.status == 74, "\(how): \(result.stderr)")
        #expect(result.stderr.contains("damaged"), "\(how): \(result.stderr)")
        #expect(result.stderr.contains("Restore"))
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: cli.database)) == before,
            "\(how): the damaged file was written to"
        )
        #expect((try? String(contentsOfFile: log, encoding: .utf8))?.contains("database-damaged") == true)
    }
}

@Suite("A full disk", .enabled(if: geteuid() == 0, "needs root to mount a small tmpfs"))
struct DiskFullTests {
    @Test(
        "an import on a full file system: 74, the directory unchanged and consistent; after space is freed, the next run succeeds"
    )
    func importOnFullDisk() throws {
        let cli = CLI()
        let state = cli.temp.folder("state")
        #expect(try runProgram("/bin/mount", ["-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", state]).status == 0)
        defer { _ = try? runProgram("/bin/umount", ["-l", state]) }
        #expect(try cli.importDay("20250901").status == 0)
        let before = try cli.json(["status", "--config", cli.config, "--json"])["directory"] as? [String: Int]
        // Leave almost nothing free.
        _ = try runProgram("/bin/dd", ["if=/dev/zero", "of=\(state)/filler", "bs=64k", "count=1000"])
        let full = try cli.importDay("20250902")
        #expect(full.status == 74, "\(full.stderr)")
        #expect(full.stderr.contains("free space"), "\(full.stderr)")
        unlink(state + "/filler")
        #expect(try SQLiteShell.run(cli.database, "PRAGMA integrity_check;") == "ok")
        #expect(try cli.json(["status", "--config", cli.config, "--json"])["directory"] as? [String: Int] == before)
        let next = try cli.importDay("20250902")
        #expect(next.status == 0, "\(next.stderr)")
    }
}

@Suite("Paths and credentials under systemd (issue 15)")
struct SystemdPathTests {
    @Test(
        "a root-owned link in a root folder (StateDirectory under DynamicUser) is followed; another user's link is not",
        .enabled(if: geteuid() == 0, "needs root to own and give away links")
    )
    func rootLinks() throws {
        let temp = TemporaryDirectory("links")
        let real = temp.folder("private/aafd-x")
        chmod(temp.file("private"), 0o700)
        let link = temp.file("aafd-x")
        #expect(symlink("private/aafd-x", link) == 0)
        #expect(PathTrust.resolvingRootLinks(link + "/aafd.sqlite3") == real + "/aafd.sqlite3")
        // The same configuration through the real binary: the database lands in the real folder.
        let config = temp.write("aafd.toml", "[directory]\ndatabase = \"\(link)/aafd.sqlite3\"\n")
        let result = try runProgram(
            Paths.aafdBinary,
            ["import", "--config", config, "--from-dir", Paths.fixtures.appendingPathComponent("ent1d/20250901").path]
        )
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: real + "/aafd.sqlite3"))
        // A link another user owns is left alone: the R18 checks then refuse the path.
        let other = temp.file("other")
        #expect(symlink("private/aafd-x", other) == 0)
        #expect(lchown(other, 65534, 65534) == 0)
        #expect(PathTrust.resolvingRootLinks(other + "/aafd.sqlite3") == other + "/aafd.sqlite3")
        let refused = temp.write("other.toml", "[directory]\ndatabase = \"\(other)/aafd.sqlite3\"\n")
        #expect(try runProgram(Paths.aafdBinary, ["status", "--config", refused]).status == 78)
    }

    @Test("a loaded sftp-key credential is the key, whatever private_key names: one configuration for every unit")
    func keyCredential() throws {
        let temp = TemporaryDirectory("credential")
        let credentials = temp.folder("credentials")
        let key = credentials + "/sftp-key"
        let made = try runProgram(
            "/usr/bin/ssh-keygen",
            ["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", key]
        )
        #expect(made.status == 0)
        chmod(key, 0o400)
        let hosts = temp.write(
            "known_hosts",
            "127.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHXn0g0gK0Xy5oT6qR2gGGcVb+7oG8P7l8m9G7n2h4xA\n"
        )
        chmod(hosts, 0o600)
        let config = temp.write(
            "aafd.toml",
            """
            [directory]
            database = "\(temp.file("state/aafd.sqlite3"))"
            [sftp]
            host = "127.0.0.1"
            user = "x"
            private_key = "\(temp.file("no-such-key"))"
            known_hosts = "\(hosts)"
            remote_dir = "/drop"
            """
        )
        let without = try runProgram(Paths.aafdBinary, ["check-config", "--config", config])
        #expect(without.status == 78, "no key file, no credential")
        let with = try runProgram(
            Paths.aafdBinary,
            ["check-config", "--config", config],
            environment: ["PATH": "/usr/bin:/bin", "CREDENTIALS_DIRECTORY": credentials]
        )
        #expect(with.status == 0, "\(with.stdout)\(with.stderr)")
    }
}
