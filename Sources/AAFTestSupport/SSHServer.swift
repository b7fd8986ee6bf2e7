import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real OpenSSH sshd on 127.0.0.1 with its default algorithms (no `+ssh-rsa`), started for one test and
/// stopped when released. It serves SFTP (`internal-sftp`) from `remoteDirectory` to the current user, who logs in
/// with the public keys given. Needs root (sshd's privilege separation) and `/usr/sbin/sshd`.
public final class SSHServer: @unchecked Sendable {
    // @unchecked Sendable: the process handle is only touched by the test that owns the server.

    /// Whether this machine can run the server (CI runs as root with openssh-server installed).
    public static var available: Bool {
        geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh-keygen")
    }

    public let folder: TemporaryDirectory
    public let port: Int
    /// The folder served as the académie's drop folder.
    public let remoteDirectory: String
    /// A known_hosts file pinning this server's host key.
    public let knownHosts: String
    /// The server's public host key line (`ssh-ed25519 AAAA…`).
    public let hostKeyLine: String
    private var process: ChildProcess?
    /// `remote_dir` as the SFTP session sees it: `remoteDirectory`, or `/drop` under a chroot.
    public let remoteDir: String
    /// The chroot, outside /tmp (sshd wants every component root-owned and not writable by others).
    private let chroot: String?

    /// How this sshd differs from OpenSSH's defaults (the interoperability matrix).
    public struct Options: Sendable {
        /// `ed25519` or `rsa`.
        public var hostKeyType = "ed25519"
        /// Global sshd_config lines (`PubkeyAcceptedAlgorithms rsa-sha2-256`…).
        public var extraConfig = ""
        /// Chroot the session (`ChrootDirectory`, `ForceCommand internal-sftp`): `remote_dir` is then `/drop`.
        public var chroot = false
        /// A `ForceCommand` (`internal-sftp -P remove` refuses deletions).
        public var forceCommand: String?

        public init(
            hostKeyType: String = "ed25519",
            extraConfig: String = "",
            chroot: Bool = false,
            forceCommand: String? = nil
        ) {
            self.hostKeyType = hostKeyType
            self.extraConfig = extraConfig
            self.chroot = chroot
            self.forceCommand = forceCommand
        }
    }

    /// Starts sshd; `authorizedKeys` are public key files allowed to log in.
    public init(authorizedKeys: [String], options: Options = Options()) throws {
        folder = TemporaryDirectory("sshd")
        let dir = folder.path
        let hostKey = dir + "/host_" + options.hostKeyType
        try SSHServer.run("/usr/bin/ssh-keygen", ["-q", "-t", options.hostKeyType, "-N", "", "-f", hostKey])
        hostKeyLine = try String(contentsOfFile: hostKey + ".pub", encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        let keys = try authorizedKeys.map { try String(contentsOfFile: $0, encoding: .utf8) }.joined()
        folder.write("authorized_keys", keys)
        if options.chroot {
            let root = "/srv/aafd-test-chroot-\(UUID().uuidString)"
            try FileManager.default.createDirectory(
                atPath: root,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o755]
            )
            chmod("/srv", 0o755)
            chroot = root
            remoteDirectory = root + "/drop"
            try FileManager.default.createDirectory(
                atPath: remoteDirectory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
            remoteDir = "/drop"
        } else {
            chroot = nil
            remoteDirectory = folder.folder("drop")
            remoteDir = remoteDirectory
        }
        port = try SSHServer.freePort()
        knownHosts = folder.write("known_hosts", "[127.0.0.1]:\(port) \(hostKeyLine)\n")
        let template = try String(
            contentsOf: Paths.fixtures.appendingPathComponent("sshd/sshd_config.in"),
            encoding: .utf8
        )
        var config = template.replacingOccurrences(of: "@PORT@", with: String(port)).replacingOccurrences(
            of: "@DIR@",
            with: dir
        )
        .replacingOccurrences(of: "HostKey \(dir)/host_ed25519", with: "HostKey \(hostKey)")
        config += options.extraConfig.isEmpty ? "" : options.extraConfig + "\n"
        if chroot != nil || options.forceCommand != nil {
            config += "Match all\n"
            if let chroot { config += "    ChrootDirectory \(chroot)\n" }
            config += "    ForceCommand \(options.forceCommand ?? "internal-sftp")\n"
        }
        let configPath = folder.write("sshd_config", config)
        try? FileManager.default.createDirectory(
            atPath: "/run/sshd",
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o755]
        )
        let log = open(folder.write("sshd.log", ""), O_WRONLY | O_APPEND)
        defer { close(log) }
        let sshd = try ChildProcess("/usr/sbin/sshd", ["-D", "-e", "-f", configPath], stderr: log)
        process = sshd
        // Wait until it accepts connections.
        let deadline = Date().addingTimeInterval(10)
        while !SSHServer.accepts(port) {
            guard Date() < deadline, sshd.isRunning else {
                throw SSHServerError(
                    "sshd did not start: " + ((try? String(contentsOfFile: dir + "/sshd.log", encoding: .utf8)) ?? "")
                )
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    deinit {
        stop()
        if let chroot { try? FileManager.default.removeItem(atPath: chroot) }
    }

    /// Stops sshd and every session it started.
    public func stop() {
        signalSessions(SIGKILL)
        if let process {
            process.signal(SIGTERM)
            process.wait()
            self.process = nil
        }
    }

    /// Sends `signal` to every process sshd started (the sessions), not to sshd itself.
    public func signalSessions(_ signal: Int32) {
        guard let process else { return }
        for pid in SSHServer.descendants(of: process.pid) { kill(pid, signal) }
    }

    /// The current user's name (the SFTP login).
    public static var user: String {
        guard let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name else { return "root" }
        return String(cString: name)
    }

    /// Writes a key pair with ssh-keygen; returns the private key path (the public one is `path + ".pub"`).
    @discardableResult
    public static func makeKey(
        _ path: String,
        type: String = "rsa",
        bits: Int? = 2048,
        passphrase: String = "",
        pem: Bool = false
    ) throws -> String {
        var args = ["-q", "-t", type, "-N", passphrase, "-f", path, "-C", "aafd-test"]
        if let bits { args += ["-b", String(bits)] }
        if pem { args += ["-m", "PEM"] }
        try run("/usr/bin/ssh-keygen", args)
        chmod(path, 0o600)
        return path
    }

    public static func run(_ tool: String, _ args: [String]) throws {
        guard try ChildProcess(tool, args).wait() == 0 else {
            throw SSHServerError("\(tool) \(args.joined(separator: " ")) failed")
        }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw SSHServerError("cannot bind a port") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }

    /// Every process below `pid`, from /proc.
    static func descendants(of pid: Int32) -> [Int32] {
        var parent: [Int32: Int32] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let p = Int32(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 2, let ppid = Int32(fields[1]) { parent[p] = ppid }
        }
        var result: [Int32] = []
        var frontier = [pid]
        while let next = frontier.popLast() {
            for (child, ppid) in parent where ppid == next {
                result.append(child)
                frontier.append(child)
            }
        }
        return result
    }
}

public struct SSHServerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
