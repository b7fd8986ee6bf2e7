import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real SFTP server on 127.0.0.1, started by a test: what aafd's configuration needs to reach it.
public protocol SFTPTestServer: AnyObject {
    var port: Int { get }
    /// A known_hosts file pinning the server's host key.
    var knownHosts: String { get }
    /// The local folder behind `remoteDir`, where tests drop delivery files.
    var remoteDirectory: String { get }
    /// `remote_dir` as the SFTP session sees it (under a chroot: `/drop`).
    var remoteDir: String { get }
    /// The login.
    var login: String { get }
    func stop()
}

extension SFTPTestServer {
    /// ProFTPD and asyncssh serve their drop folder as `/drop` to the login `academie`.
    public static var defaultLogin: String { "academie" }
    public var remoteDir: String { "/drop" }
    public var login: String { Self.defaultLogin }
}

extension SSHServer: SFTPTestServer {
    public var login: String { SSHServer.user }
}

/// Starts `path` and waits until `port` on 127.0.0.1 accepts connections.
func startListening(
    _ path: String,
    _ arguments: [String],
    port: Int,
    log: String,
    name: String
) throws -> ChildProcess {
    let fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
    defer { close(fd) }
    let process = try ChildProcess(path, arguments, stdout: fd, stderr: fd)
    let deadline = Date().addingTimeInterval(20)
    while !SSHServer.accepts(port) {
        guard Date() < deadline, process.isRunning else {
            process.signal(SIGKILL)
            process.wait()
            throw SSHServerError(
                "\(name) did not start: " + ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
            )
        }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return process
}

/// A real ProFTPD 1.3.8 with mod_sftp (Debian's proftpd-core and proftpd-mod-crypto): `DefaultRoot ~`, public-key
/// authentication only, an RSA host key. The login is a virtual user (AuthUserFile) whose home holds `drop/`, so
/// `remote_dir` is `/drop`. Needs root.
public final class ProFTPDServer: SFTPTestServer, @unchecked Sendable {
    // @unchecked Sendable: the process handle is only touched by the test that owns the server.
    public static var available: Bool {
        geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/proftpd")
            && FileManager.default.fileExists(atPath: "/usr/lib/proftpd/mod_sftp.so")
    }

    public let folder = TemporaryDirectory("proftpd")
    public let port: Int
    public let knownHosts: String
    public let remoteDirectory: String
    private var process: ChildProcess?

    /// - Parameter denyRemove: refuse deletions (`<Limit DELE> DenyAll`, which mod_sftp applies to REMOVE).
    public init(authorizedKeys: [String], denyRemove: Bool = false) throws {
        let dir = folder.path
        try SSHServer.run(
            "/usr/bin/ssh-keygen",
            ["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", dir + "/host_rsa"]
        )
        let hostKeyLine = try String(contentsOfFile: dir + "/host_rsa.pub", encoding: .utf8).split(separator: " ")
            .prefix(2).joined(separator: " ")
        // mod_sftp reads RFC 4716 public keys.
        var rfc4716 = ""
        for key in authorizedKeys {
            let out = folder.file("key.rfc4716")
            let fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            let status = try ChildProcess("/usr/bin/ssh-keygen", ["-e", "-f", key], stdout: fd).wait()
            close(fd)
            guard status == 0 else { throw SSHServerError("ssh-keygen -e \(key) failed") }
            rfc4716 += try String(contentsOfFile: out, encoding: .utf8)
        }
        folder.write("authorized_keys", rfc4716)
        let home = folder.folder("home")
        remoteDirectory = folder.folder("home/drop")
        let passwd = folder.write("passwd", "\(ProFTPDServer.defaultLogin):x:0:0::\(home):/bin/sh\n")
        chmod(passwd, 0o600)
        port = try SSHServer.freePort()
        knownHosts = folder.write("known_hosts", "[127.0.0.1]:\(port) \(hostKeyLine)\n")
        let config = """
            ServerName "aafd-test"
            ServerType standalone
            DefaultServer on
            Port \(port)
            DefaultAddress 127.0.0.1
            SocketBindTight on
            UseIPv6 off
            User nobody
            Group nogroup
            PidFile \(dir)/proftpd.pid
            ScoreboardFile \(dir)/proftpd.scoreboard
            DelayTable none
            WtmpLog off
            UseReverseDNS off
            SystemLog \(dir)/system.log
            ModulePath /usr/lib/proftpd
            LoadModule mod_sftp.c
            AuthOrder mod_auth_file.c
            AuthUserFile \(passwd)
            RequireValidShell off
            RootLogin on
            DefaultRoot ~
            MaxInstances 100
            SFTPEngine on
            SFTPLog \(dir)/sftp.log
            SFTPHostKey \(dir)/host_rsa
            SFTPAuthorizedUserKeys file:\(dir)/authorized_keys
            SFTPAuthMethods publickey
            <Directory />
              AllowOverwrite on
            \(denyRemove ? "  <Limit DELE>\n    DenyAll\n  </Limit>" : "")
            </Directory>

            """
        let path = folder.write("proftpd.conf", config)
        process = try startListening(
            "/usr/sbin/proftpd",
            ["-n", "-q", "-c", path],
            port: port,
            log: dir + "/proftpd.out",
            name: "proftpd"
        )
    }

    deinit { stop() }

    public func stop() {
        guard let process else { return }
        for pid in SSHServer.descendants(of: process.pid) { kill(pid, SIGKILL) }
        process.signal(SIGTERM)
        process.wait()
        self.process = nil
    }
}

/// How a test server answers SFTP reads.
public enum ShortReads: Sendable, CustomStringConvertible {
    /// As asked (up to the end of the file).
    case whole
    /// At most this many bytes per reply.
    case capped(Int)
    /// A random length between 1 byte and what was asked, from this seed.
    case random(UInt64)
    /// The reply that reaches the end of the file is half as long; the rest comes when asked again, then EOF.
    case shortLast

    public var description: String {
        switch self {
        case .whole: "whole"
        case .capped(let n): "capped at \(n) bytes"
        case .random(let seed): "random lengths, seed \(seed)"
        case .shortLast: "the last block short, then EOF"
        }
    }
}

/// A real asyncssh SFTP server (PyPI, in the venv the test command makes), run by
/// Fixtures/sftp-servers/asyncssh_sftp.py: chrooted, so `remote_dir` is `/drop`.
public final class AsyncSSHServer: SFTPTestServer, @unchecked Sendable {
    // @unchecked Sendable: the process handle is only touched by the test that owns the server.

    /// The venv's Python: `$AAFD_TEST_PYTHON`, or `.build/test-venv/bin/python` (scripts/install-deps.sh).
    public static var python: String {
        ProcessInfo.processInfo.environment["AAFD_TEST_PYTHON"]
            ?? Paths.root.appendingPathComponent(".build/test-venv/bin/python").path
    }

    public static var available: Bool { FileManager.default.isExecutableFile(atPath: python) }

    public let folder = TemporaryDirectory("asyncssh")
    public let port: Int
    public let knownHosts: String
    public let remoteDirectory: String
    /// While this file exists, the server refuses REMOVE (when started with `denyRemove`).
    public let denyMarker: String
    private var process: ChildProcess?

    /// - Parameters:
    ///   - shuffle: list the folder in a random order.
    ///   - untyped: send no permissions, hence no file type, in listings and `stat` (SFTP v3 allows it).
    ///   - denyRemove: refuse REMOVE while ``denyMarker`` exists (created here).
    ///   - reads: how the server answers reads (issue 21: SFTP lets it answer short).
    ///   - hostileStatus: every open fails with a status text full of escapes and a forged journal line (issue 20).
    public init(
        authorizedKeys: [String],
        shuffle: Bool = false,
        untyped: Bool = false,
        denyRemove: Bool = false,
        reads: ShortReads = .whole,
        hostileStatus: Bool = false
    ) throws {
        let dir = folder.path
        try SSHServer.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", dir + "/host_ed25519"])
        let hostKeyLine = try String(contentsOfFile: dir + "/host_ed25519.pub", encoding: .utf8).split(separator: " ")
            .prefix(2).joined(separator: " ")
        folder.write(
            "authorized_keys",
            try authorizedKeys.map { try String(contentsOfFile: $0, encoding: .utf8) }.joined()
        )
        let root = folder.folder("root")
        remoteDirectory = folder.folder("root/drop")
        denyMarker = folder.file("deny-remove")
        if denyRemove { folder.write("deny-remove", "") }
        port = try SSHServer.freePort()
        knownHosts = folder.write("known_hosts", "[127.0.0.1]:\(port) \(hostKeyLine)\n")
        var arguments = [
            Paths.fixtures.appendingPathComponent("sftp-servers/asyncssh_sftp.py").path, "--port", String(port),
            "--host-key",
            dir + "/host_ed25519", "--authorized-keys", dir + "/authorized_keys", "--root", root,
        ]
        if shuffle { arguments.append("--shuffle") }
        if untyped { arguments.append("--untyped") }
        if denyRemove { arguments += ["--deny-remove-while", denyMarker] }
        switch reads {
        case .whole: break
        case .capped(let bytes): arguments += ["--read-cap", String(bytes)]
        case .random(let seed): arguments += ["--read-random", String(seed)]
        case .shortLast: arguments.append("--short-last")
        }
        if hostileStatus { arguments.append("--hostile-status") }
        process = try startListening(
            AsyncSSHServer.python,
            arguments,
            port: port,
            log: dir + "/server.log",
            name: "asyncssh"
        )
    }

    deinit { stop() }

    public func stop() {
        guard let process else { return }
        process.signal(SIGKILL)
        process.wait()
        self.process = nil
    }
}
