import AAFTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A command in a real terminal: a detached tmux session, driven with send-keys and read with capture-pane.
///
/// Each session has a tmux server of its own (`-L`), started by its first command as on a fresh CI machine, where
/// no server runs: a test must not pass here only because someone's tmux was already running. (Foundation's
/// `Process` waited for that forked server to end, forever: the CI hang of stop 30.)
final class TerminalSession {
    let name = "aafd-setup-\(UUID().uuidString.prefix(8))"

    init(_ command: String) throws {
        // The shell outlives a Ctrl-C (its trap), so that the command's exit status is printed.
        try tmux([
            "new-session", "-d", "-s", name, "-x", "160", "-y", "60",
            "trap true INT; " + command + "; echo EXIT=$?; sleep 60",
        ])
    }

    deinit { _ = try? tmux(["kill-server"]) }

    /// Runs tmux on this session's server, 20 s at most (posix_spawn, never Foundation's `Process`). Its output only
    /// when `capture`: the server tmux forks on its first command keeps what it inherited, so that command's output
    /// goes to /dev/null.
    @discardableResult
    func tmux(_ arguments: [String], capture: Bool = false) throws -> String {
        let arguments = ["-L", name] + arguments
        guard capture else {
            let status = try ChildProcess("/usr/bin/tmux", arguments, isolated: true).wait(timeout: 20)
            guard status != nil else { throw SSHServerError("tmux \(arguments[2]) did not end in 20 s") }
            return ""
        }
        let result = try runProgram("/usr/bin/tmux", arguments, timeout: 20)
        guard result.status == 0 else { throw SSHServerError("tmux \(arguments[2]): \(result.status)") }
        return result.stdout
    }

    var screen: String {
        (try? tmux(["capture-pane", "-p", "-J", "-S", "-200", "-t", name], capture: true)) ?? ""
    }

    /// Waits until the screen shows `text` (30 s at most: a loaded CI machine); true when it did.
    func waitFor(_ text: String, count: Int = 1) -> Bool {
        for _ in 0..<300 {
            if screen.components(separatedBy: text).count - 1 >= count { return true }
            usleep(100_000)
        }
        return false
    }

    /// Types `text` then Enter.
    func answer(_ text: String) throws {
        if !text.isEmpty { try tmux(["send-keys", "-t", name, "-l", text]) }
        try tmux(["send-keys", "-t", name, "Enter"])
    }

    func interrupt() throws { try tmux(["send-keys", "-t", name, "C-c"]) }
}

/// `aafd setup`'s questions through a real terminal (issue 25).
extension SetupTests {
    @Test(
        "the questions in a real terminal: ? explains, a wrong fingerprint or Ctrl-C writes nothing, the right answers set up the link",
        .enabled(
            if: SSHServer.available && FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"),
            "needs root, openssh-server and tmux"
        )
    )
    func interactive() throws {
        let (keys, key) = try madeKey("setup-tty")
        let server = try SSHServer(authorizedKeys: [key + ".pub"], options: .init(chroot: true))
        defer { server.stop() }
        let cli = CLI()
        let pinned = keys.file("known_hosts")
        let original = try String(contentsOfFile: cli.config, encoding: .utf8)
        let expected = try #require(try keygenFingerprints(server.knownHosts).first?.fingerprint)
        let command = "\(Paths.aafdBinary) setup --config \(cli.config) --key \(key) --known-hosts \(pinned)"
        func walk(_ terminal: TerminalSession, fingerprint: String) throws {
            #expect(terminal.waitFor("Commune: "), "\(terminal.screen)")
            try terminal.answer("?")
            #expect(terminal.waitFor("printed on certificates"), "\(terminal.screen)")
            try terminal.answer("Mairie de Tty")
            #expect(terminal.waitFor("SFTP server (name or address): "))
            try terminal.answer("")  // no default: asked again
            #expect(terminal.waitFor("an answer is needed"))
            try terminal.answer("127.0.0.1")
            #expect(terminal.waitFor("Port [22]: "))
            try terminal.answer(String(server.port))
            #expect(terminal.waitFor("(SHA256:…): "))
            try terminal.answer(fingerprint)
        }

        // A wrong fingerprint: refused, nothing written.
        let wrong = try TerminalSession(command)
        try walk(wrong, fingerprint: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        #expect(wrong.waitFor("EXIT=77"), "\(wrong.screen)")
        #expect(try String(contentsOfFile: cli.config, encoding: .utf8) == original)
        #expect(!FileManager.default.fileExists(atPath: pinned))

        // Ctrl-C half-way: nothing written.
        let stopped = try TerminalSession(command)
        #expect(stopped.waitFor("Commune: "))
        try stopped.answer("Mairie de Tty")
        #expect(stopped.waitFor("SFTP server"))
        try stopped.interrupt()
        #expect(stopped.waitFor("EXIT=130"), "\(stopped.screen)")
        #expect(try String(contentsOfFile: cli.config, encoding: .utf8) == original)
        #expect(!FileManager.default.fileExists(atPath: pinned))

        // First contact, before the académie answered: Enter at the server makes only the key and the request.
        let newKey = keys.file("first_rsa")
        let firstContact = try TerminalSession(
            "\(Paths.aafdBinary) setup --config \(cli.config) --key \(newKey) --known-hosts \(pinned)"
        )
        #expect(firstContact.waitFor("Commune: "))
        try firstContact.answer("Mairie de Tty")
        #expect(firstContact.waitFor("Contact for the académie"))
        try firstContact.answer("M. Martin, 01 02 03 04 05")
        #expect(firstContact.waitFor("; Enter: not known yet"), "\(firstContact.screen)")
        try firstContact.answer("")
        #expect(firstContact.waitFor("EXIT=0"), "\(firstContact.screen)")
        let request = firstContact.screen
        #expect(request.contains("Objet : ENT premier degré") && request.contains("Mairie de Tty"), "\(request)")
        #expect(request.contains("M. Martin, 01 02 03 04 05") && request.contains("run aafd setup again"))
        #expect(fileMode(newKey) == 0o600)
        #expect(try String(contentsOfFile: cli.config, encoding: .utf8) == original, "nothing else written")
        #expect(!FileManager.default.fileExists(atPath: pinned))

        // The right answers: the server's folders listed, one that does not exist refused, then written, pinned,
        // the link checked.
        let right = try TerminalSession(command)
        try walk(right, fingerprint: expected)
        #expect(right.waitFor("the server's key matches"), "\(right.screen)")
        #expect(right.waitFor("Login"))
        try right.answer(server.login)
        #expect(right.waitFor("Private key file [\(key)]: "))
        try right.answer("")
        #expect(right.waitFor("Pinned host key file [\(pinned)]: "))
        try right.answer("")
        #expect(right.waitFor("the server shows these folders: /drop."), "\(right.screen)")
        #expect(right.waitFor("Remote folder [/drop]: "), "\(right.screen)")
        try right.answer("/nope")
        #expect(right.waitFor("/nope is not a folder on the server"), "\(right.screen)")
        #expect(right.waitFor("Remote folder [/drop]: ", count: 2))
        try right.answer("")
        #expect(right.waitFor("Fetch every day at (HH:MM) [06:30]: "), "\(right.screen)")
        try right.answer("7h")
        #expect(right.waitFor("a time as HH:MM"))
        try right.answer("07:15")
        #expect(right.waitFor("once the link works? (y/n) [n]: "))
        try right.answer("")
        #expect(right.waitFor("EXIT=0"), "\(right.screen)")
        #expect(right.screen.contains("systemctl enable --now aafd.service"))
        let written = try String(contentsOfFile: cli.config, encoding: .utf8)
        #expect(written.contains("commune = \"Mairie de Tty\"") && written.contains("port = \(server.port)"))
        #expect(written.contains("time = \"07:15\"") && written.contains("remote_dir = \"/drop\""))
        #expect(try keygenFingerprints(pinned).map(\.fingerprint) == [expected])
    }
}
