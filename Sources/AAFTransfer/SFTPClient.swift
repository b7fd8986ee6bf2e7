internal import CLibSSH
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One entry of the remote folder, as the server listed it and, where the listing did not say enough, as `stat`
/// resolved it.
public struct RemoteEntry: Sendable, Hashable {
    /// What the entry is, once resolved.
    public enum Kind: Sendable, Hashable {
        /// A regular file: a candidate delivery file.
        case file
        /// A regular file reached through a symbolic link that stays inside `remote_dir`.
        case linkedFile
        /// The server gave no type, even on `stat` (SFTP v3 lets it omit permissions): taken as a file, since
        /// opening anything else for reading fails with a clear error.
        case untypedFile
        /// Anything else, with why it is not taken (a folder, a link leaving `remote_dir`, a device…).
        case notTaken(String)
    }

    public var name: String
    public var size: Int
    public var kind: Kind

    public init(name: String, size: Int, kind: Kind) {
        self.name = name
        self.size = size
        self.kind = kind
    }

    /// Whether the entry is read as a file.
    public var isFile: Bool {
        switch kind {
        case .file, .linkedFile, .untypedFile: true
        case .notTaken: false
        }
    }
}

/// One public-key attempt during authentication, for the error message.
public struct AuthenticationAttempt: Sendable, Hashable, CustomStringConvertible {
    public enum Result: Sendable, Hashable {
        /// The server answered the signed request with a failure.
        case refusedByServer
        /// libssh refused locally: the server had not announced this algorithm; nothing was sent.
        case notAnnounced
        /// The connection failed during the attempt.
        case error(String)
    }

    public var algorithm: String
    public var result: Result

    /// The names of the methods in a `ssh_userauth_list` mask.
    static func methodNames(_ mask: Int32) -> String {
        let names: [(UInt32, String)] = [
            (SSH_AUTH_METHOD_PASSWORD, "password"), (SSH_AUTH_METHOD_PUBLICKEY, "publickey"),
            (SSH_AUTH_METHOD_HOSTBASED, "hostbased"), (SSH_AUTH_METHOD_INTERACTIVE, "keyboard-interactive"),
            (SSH_AUTH_METHOD_GSSAPI_MIC, "gssapi-with-mic"),
        ]
        let offered = names.filter { UInt32(bitPattern: mask) & $0.0 != 0 }.map(\.1)
        return offered.isEmpty ? "nothing" : offered.joined(separator: ", ")
    }

    public var description: String {
        switch result {
        case .refusedByServer: "\(algorithm): refused by the server"
        case .notAnnounced: "\(algorithm): not announced by the server (server-sig-algs), not sent"
        case .error(let why): "\(algorithm): \(why)"
        }
    }
}

/// An SFTP connection to the académie's server (libssh 0.10): `ssh_session` → `sftp_session`, torn down child first.
///
/// The constructor does everything that can refuse: connect (with `connect_timeout_seconds`), check the server's
/// host key against the pinned known_hosts file before authenticating (R17: unknown or changed → refused, nothing
/// is ever added), check the private key file (R16: owner only, RSA ≥ 2048 bits), then authenticate with it.
/// Use one client from one thread.
public final class SFTPClient {
    private var session: ssh_session?
    private var sftp: sftp_session?
    private let settings: SFTPSettings
    /// Ends any remote call that gets no answer for `io_timeout_seconds` (ADR 0007).
    private var watchdog: Watchdog?
    /// The SHA-256 fingerprint of the server's host key, for messages.
    public private(set) var hostKeyFingerprint: String?

    /// Process-wide libssh set-up (`ssh_init`), once.
    public static func initialize() { _ = once }
    private static let once: Void = { ssh_init() }()

    public init(settings: SFTPSettings) throws {
        SFTPClient.initialize()
        self.settings = settings
        let key = try PrivateKey.load(settings)
        defer { ssh_key_free(key.handle) }

        guard let session = ssh_new() else { throw TransferError(.local, "libssh could not allocate a session") }
        self.session = session
        try option(SSH_OPTIONS_HOST, settings.host)
        var port = UInt32(settings.port)
        ssh_options_set(session, SSH_OPTIONS_PORT, &port)
        try option(SSH_OPTIONS_USER, settings.user)
        // Only the pinned file: no ~/.ssh/known_hosts, no /etc/ssh/ssh_known_hosts, no ~/.ssh/config (which could
        // redirect the check).
        var processConfig = false
        ssh_options_set(session, SSH_OPTIONS_PROCESS_CONFIG, &processConfig)
        try checkReadable(settings.knownHosts, what: "known_hosts")
        try option(SSH_OPTIONS_KNOWNHOSTS, settings.knownHosts)
        try option(SSH_OPTIONS_GLOBAL_KNOWNHOSTS, settings.knownHosts)
        // Pipelined read requests are small packets: without TCP_NODELAY, Nagle's algorithm and delayed ACKs
        // stall them by tens of milliseconds at random (measured: 1.7–8.5 s for 322 MiB instead of ~1.3 s).
        var noDelay: Int32 = 1
        ssh_options_set(session, SSH_OPTIONS_NODELAY, &noDelay)
        var connectTimeout = Int(settings.connectTimeoutSeconds)
        ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &connectTimeout)

        guard ssh_connect(session) == SSH_OK else {
            throw TransferError(
                .unreachable,
                "cannot connect to \(settings.host):\(settings.port): \(lastError()); check the network path and that "
                    + "the académie lets this machine's address through")
        }
        try verifyHostKey(session)

        var ioTimeout = Int(settings.ioTimeoutSeconds)
        ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &ioTimeout)
        let watchdog = Watchdog(socket: ssh_get_fd(session), timeout: settings.ioTimeoutSeconds)
        self.watchdog = watchdog
        try authenticate(session, key: key)
        guard let sftp = guarded({ sftp_new(session) }) else {
            throw TransferError(.remote, "\(settings.host) did not open an SFTP channel: \(lastError())")
        }
        self.sftp = sftp
        guard guarded({ sftp_init(sftp) }) == SSH_OK else {
            throw TransferError(.remote, "\(settings.host) refused the SFTP subsystem: \(lastError())")
        }
    }

    /// RSA signature algorithms, strongest first. SHA-1 `ssh-rsa` is never offered (R16; OpenSSH ≥ 8.8 refuses it).
    static let rsaSignatureAlgorithms = ["rsa-sha2-512", "rsa-sha2-256"]

    /// Authenticates with the key (R16), the same way against every server (ADR 0009).
    ///
    /// 1. A `none` request first: its answer comes after the server's `SSH_MSG_EXT_INFO` (RFC 8308), so libssh has
    ///    read `server-sig-algs` before it chooses a signature algorithm. Servers that send the extension after
    ///    the key exchange rather than with it (ProFTPD mod_sftp, asyncssh, paramiko) otherwise lose a race in
    ///    which libssh 0.10 falls back to SHA-1, refuses it itself, and fails without sending anything.
    /// 2. For an RSA key, `rsa-sha2-512` then `rsa-sha2-256` on the same connection, each alone in
    ///    `PUBLICKEY_ACCEPTED_TYPES`: a server that accepts only one of them while announcing both still lets in.
    private func authenticate(_ session: ssh_session, key: PrivateKey) throws {
        guard let watchdog else { throw TransferError(.transfer, "connection closed") }
        let none = guarded { ssh_userauth_none(session, nil) }
        if none == SSH_AUTH_SUCCESS.rawValue { return }  // the server asks for nothing more (its choice)
        guard none == SSH_AUTH_DENIED.rawValue || none == SSH_AUTH_PARTIAL.rawValue else {
            throw TransferError(
                .unreachable,
                watchdog.fired
                    ? "\(settings.host) stopped answering during authentication (io_timeout_seconds)"
                    : "\(settings.host) closed the connection before authentication: \(lastError())")
        }
        let methods = ssh_userauth_list(session, nil)
        guard methods & Int32(SSH_AUTH_METHOD_PUBLICKEY) != 0 else {
            throw TransferError(
                .authentication,
                "\(settings.host) does not offer public-key authentication to user \(settings.user) (it offers: "
                    + "\(AuthenticationAttempt.methodNames(methods))); nothing was sent with the key. Ask the académie to "
                    + "enable public-key login for this account (R16)")
        }
        let algorithms: [String?] = key.isRSA ? SFTPClient.rsaSignatureAlgorithms : [nil]
        var attempts: [AuthenticationAttempt] = []
        for algorithm in algorithms {
            if let algorithm { try option(SSH_OPTIONS_PUBLICKEY_ACCEPTED_TYPES, algorithm) }
            let name = algorithm ?? key.typeName
            let result = guarded { ssh_userauth_publickey(session, nil, key.handle) }
            if result == SSH_AUTH_SUCCESS.rawValue { return }
            if watchdog.fired {
                throw TransferError(.unreachable, "\(settings.host) stopped answering during authentication (io_timeout_seconds)")
            }
            guard result == SSH_AUTH_DENIED.rawValue || result == SSH_AUTH_PARTIAL.rawValue else {
                attempts.append(AuthenticationAttempt(algorithm: name, result: .error(lastError())))
                throw TransferError(
                    .unreachable,
                    "\(settings.host) closed the connection during authentication (\(attempts.map(\.description).joined(separator: "; ")))")
            }
            // libssh's own refusals (algorithm not allowed, unknown key type) are SSH_REQUEST_DENIED raised before
            // anything is sent; the server's refusal reads "Access denied for 'publickey'".
            let why = lastError()
            let local = why.contains("not allowed") || why.contains("Invalid key type")
            attempts.append(AuthenticationAttempt(algorithm: name, result: local ? .notAnnounced : .refusedByServer))
        }
        let tried = attempts.map(\.description).joined(separator: "; ")
        if attempts.allSatisfy({ $0.result == .notAnnounced }) {
            throw TransferError(
                .authentication,
                "\(settings.host) announced neither rsa-sha2-512 nor rsa-sha2-256 (RFC 8308 server-sig-algs), so no "
                    + "signature was sent for user \(settings.user) (\(tried)); aafd never signs with SHA-1 ssh-rsa (R16). "
                    + "Ask the académie to enable rsa-sha2-256 or rsa-sha2-512 on its server")
        }
        throw TransferError(
            .authentication,
            "\(settings.host) refused the key \(settings.privateKey) for user \(settings.user) (\(tried)) (R16); check "
                + "that the académie installed its public key for this account")
    }

    deinit { close() }

    /// Closes the SFTP channel and the connection; later calls do nothing.
    public func close() {
        watchdog?.stop()
        watchdog = nil
        if let sftp {
            sftp_free(sftp)
            self.sftp = nil
        }
        if let session {
            ssh_disconnect(session)
            ssh_free(session)
            self.session = nil
        }
    }

    // MARK: Remote folder

    /// The remote folder's entries (not `.` and `..`), resolved: what the listing does not say (SFTP v3 lets a
    /// server omit permissions, hence the type) is asked with `stat`; a symbolic link is taken only when it
    /// resolves, on the server, to a regular file inside `remote_dir` (never followed out of it).
    ///
    /// - Parameter resolve: whether an entry needs resolving at all (the fetcher asks only for names that look
    ///   like delivery files).
    public func list(resolving resolve: (String) -> Bool = { _ in true }) throws -> [RemoteEntry] {
        let sftp = try channel()
        guard let dir = guarded({ sftp_opendir(sftp, settings.remoteDirectory) }) else {
            throw remoteError("cannot open the remote folder \(settings.remoteDirectory)")
        }
        var listed: [(name: String, size: Int, type: UInt8, hasSize: Bool)] = []
        while let attributes = guarded({ sftp_readdir(sftp, dir) }) {
            defer { sftp_attributes_free(attributes) }
            guard let cName = attributes.pointee.name else { continue }
            let name = String(cString: cName)
            if name == "." || name == ".." { continue }
            let a = attributes.pointee
            listed.append((name, Int(a.size), SFTPClient.type(of: a), a.flags & UInt32(SSH_FILEXFER_ATTR_SIZE) != 0))
        }
        let complete = sftp_dir_eof(dir) == 1
        _ = guarded { sftp_closedir(dir) }
        guard complete else {
            throw TransferError(.transfer, "listing \(settings.remoteDirectory) was cut: \(lastError())")
        }
        var folder: String?
        func link(_ name: String) throws -> RemoteEntry {
            if folder == nil { folder = try canonicalFolder() }
            return try resolveLink(name, inside: folder!)
        }
        let regular = UInt8(SSH_FILEXFER_TYPE_REGULAR), unknown = UInt8(SSH_FILEXFER_TYPE_UNKNOWN)
        return try listed.map { entry in
            guard resolve(entry.name) else {
                return RemoteEntry(
                    name: entry.name, size: entry.size, kind: entry.type == regular ? .file : .notTaken(SFTPClient.typeName(entry.type)))
            }
            var (type, size) = (entry.type, entry.size)
            if type == unknown || (type == regular && !entry.hasSize) {
                // No type or no size in the listing: ask.
                guard let attributes = guarded({ sftp_lstat(sftp, remotePath(entry.name)) }) else {
                    return RemoteEntry(name: entry.name, size: 0, kind: .notTaken("cannot stat it: \(remoteError("stat").message)"))
                }
                defer { sftp_attributes_free(attributes) }
                (type, size) = (SFTPClient.type(of: attributes.pointee), Int(attributes.pointee.size))
            }
            switch type {
            case regular: return RemoteEntry(name: entry.name, size: size, kind: .file)
            case unknown: return RemoteEntry(name: entry.name, size: size, kind: .untypedFile)  // not even `lstat` says
            case UInt8(SSH_FILEXFER_TYPE_SYMLINK): return try link(entry.name)
            default: return RemoteEntry(name: entry.name, size: 0, kind: .notTaken(SFTPClient.typeName(type)))
            }
        }
    }

    /// The file type of SFTP attributes; SFTP v3 derives it from the permissions, which a server may omit.
    private static func type(of a: sftp_attributes_struct) -> UInt8 {
        a.flags & UInt32(SSH_FILEXFER_ATTR_PERMISSIONS) != 0 ? a.type : UInt8(SSH_FILEXFER_TYPE_UNKNOWN)
    }

    /// `remote_dir` as the server resolves it (`realpath`), without a trailing slash.
    private func canonicalFolder() throws -> String {
        let sftp = try channel()
        guard let c = guarded({ sftp_canonicalize_path(sftp, settings.remoteDirectory) }) else {
            throw remoteError("cannot resolve the remote folder \(settings.remoteDirectory)")
        }
        defer { ssh_string_free_char(c) }
        let path = String(cString: c)
        return path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// A symbolic link: taken when the server resolves it to a regular file inside `folder`.
    private func resolveLink(_ name: String, inside folder: String) throws -> RemoteEntry {
        let sftp = try channel()
        guard let c = guarded({ sftp_canonicalize_path(sftp, remotePath(name)) }) else {
            return RemoteEntry(name: name, size: 0, kind: .notTaken("a symbolic link the server cannot resolve"))
        }
        let target = String(cString: c)
        ssh_string_free_char(c)
        let prefix = folder == "/" ? "/" : folder + "/"
        guard target.hasPrefix(prefix), !target.dropFirst(prefix.count).isEmpty else {
            return RemoteEntry(name: name, size: 0, kind: .notTaken("a symbolic link leading out of remote_dir; not followed"))
        }
        guard let attributes = guarded({ sftp_stat(sftp, target) }) else {
            return RemoteEntry(name: name, size: 0, kind: .notTaken("a symbolic link to nothing"))
        }
        defer { sftp_attributes_free(attributes) }
        let type = SFTPClient.type(of: attributes.pointee)
        guard type == UInt8(SSH_FILEXFER_TYPE_UNKNOWN) || type == UInt8(SSH_FILEXFER_TYPE_REGULAR) else {
            return RemoteEntry(name: name, size: 0, kind: .notTaken("a symbolic link to \(SFTPClient.typeName(type))"))
        }
        return RemoteEntry(name: name, size: Int(attributes.pointee.size), kind: .linkedFile)
    }

    private static func typeName(_ type: UInt8) -> String {
        switch type {
        case UInt8(SSH_FILEXFER_TYPE_DIRECTORY): "a folder"
        case UInt8(SSH_FILEXFER_TYPE_SYMLINK): "a symbolic link"
        case UInt8(SSH_FILEXFER_TYPE_SPECIAL): "a special file (device, FIFO or socket)"
        case UInt8(SSH_FILEXFER_TYPE_REGULAR): "a regular file"
        default: "of an unknown type"
        }
    }

    /// The size of one remote file, from `sftp_stat`.
    public func size(of name: String) throws -> Int {
        let sftp = try channel()
        guard let attributes = guarded({ sftp_stat(sftp, remotePath(name)) }) else {
            throw remoteError("cannot stat \(name)")
        }
        defer { sftp_attributes_free(attributes) }
        return Int(attributes.pointee.size)
    }

    /// What became of a remote deletion.
    public enum Removal: Sendable, Hashable {
        case removed
        /// The file was no longer there (someone else deleted it): nothing is owed.
        case alreadyGone
        /// The server refused, or the request failed: the deletion is still owed (R10). The text names the
        /// server's SFTP status.
        case refused(String)
    }

    /// Deletes one remote file (`sftp_unlink`). Throws only when the connection is gone.
    public func remove(_ name: String) throws -> Removal {
        let sftp = try channel()
        if guarded({ sftp_unlink(sftp, remotePath(name)) }) == 0 { return .removed }
        if watchdog?.fired == true || ssh_is_connected(session) == 0 {
            throw TransferError(.transfer, "the connection was lost while deleting \(name) on the server")
        }
        switch sftp_get_error(sftp) {
        case SSH_FX_NO_SUCH_FILE: return .alreadyGone
        case SSH_FX_PERMISSION_DENIED: return .refused("permission denied (SFTP status 3)")
        case let status: return .refused("\(lastError()) (SFTP status \(status))")
        }
    }

    // MARK: Download

    /// Bytes requested per read and how many reads are in flight: requests are pipelined, as OpenSSH's sftp does.
    static let requestSize: UInt32 = 65_536
    static let requestsInFlight = 16

    /// Streams remote file `name` into `sink`, which is called with each block in order.
    ///
    /// - Returns: the number of bytes read.
    /// - Throws: ``TransferError`` `.transfer` when the transfer is cut or makes no progress for
    ///   `io_timeout_seconds` (a watchdog shuts the socket down), `.remote` when the file cannot be opened.
    public func download(_ name: String, expectedSize: Int, into sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let sftp = try channel()
        guard let watchdog else { throw TransferError(.transfer, "connection closed") }
        guard let file = guarded({ sftp_open(sftp, remotePath(name), O_RDONLY, 0) }) else {
            throw remoteError("cannot open \(name) on the server")
        }
        defer { _ = guarded { sftp_close(file) } }
        watchdog.arm()
        defer { watchdog.disarm() }

        var buffer = [UInt8](repeating: 0, count: Int(SFTPClient.requestSize))
        var pending: [UInt32] = []
        pending.reserveCapacity(SFTPClient.requestsInFlight)
        var head = 0
        var requested = 0
        var total = 0
        var reachedEnd = false
        // Ask for one block past the expected size, so that end of file is seen.
        let limit = expectedSize + Int(SFTPClient.requestSize)

        func refill() throws {
            while pending.count - head < SFTPClient.requestsInFlight, requested < limit, !reachedEnd {
                let id = sftp_async_read_begin(file, SFTPClient.requestSize)
                guard id >= 0 else { throw TransferError(.transfer, "reading \(name) failed: \(lastError())") }
                pending.append(UInt32(id))
                requested += Int(SFTPClient.requestSize)
            }
        }

        try refill()
        while head < pending.count {
            let id = pending[head]
            head += 1
            let n = buffer.withUnsafeMutableBytes { sftp_async_read(file, $0.baseAddress, SFTPClient.requestSize, id) }
            if n < 0 {
                let why = watchdog.fired ? "no data for \(settings.ioTimeoutSeconds) s (io_timeout_seconds)" : lastError()
                throw TransferError(.transfer, "the transfer of \(name) was cut after \(total) bytes: \(why)")
            }
            if n == 0 {
                reachedEnd = true
                continue  // drain the requests still in flight: each answers end of file
            }
            watchdog.progress()
            total += Int(n)
            try buffer.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<Int(n)])) }
            if head > 64 {
                pending.removeFirst(head)
                head = 0
            }
            try refill()
        }
        guard total == expectedSize else {
            throw TransferError(
                .transfer, "\(name): received \(total) bytes, the server announced \(expectedSize); not kept")
        }
        return total
    }

    // MARK: Helpers

    /// Runs one blocking libssh call under the watchdog.
    private func guarded<T>(_ call: () -> T) -> T {
        watchdog?.arm()
        defer { watchdog?.disarm() }
        return call()
    }

    private func channel() throws -> sftp_session {
        guard let sftp else { throw TransferError(.transfer, "the SFTP connection is closed") }
        return sftp
    }

    private func remotePath(_ name: String) -> String {
        settings.remoteDirectory.hasSuffix("/") ? settings.remoteDirectory + name : settings.remoteDirectory + "/" + name
    }

    private func option(_ option: ssh_options_e, _ value: String) throws {
        guard let session, ssh_options_set(session, option, value) == SSH_OK else {
            throw TransferError(.keyFile, "invalid SFTP setting for libssh option \(option.rawValue)")
        }
    }

    private func lastError() -> String {
        guard let session, let text = clibssh_error(session) else { return "unknown error" }
        let message = String(cString: text)
        return message.isEmpty ? "unknown error" : message
    }

    /// A remote failure, told apart by the SFTP status: missing versus refused.
    private func remoteError(_ what: String) -> TransferError {
        if watchdog?.fired == true {
            return TransferError(.transfer, "\(what): \(settings.host) stopped answering for \(settings.ioTimeoutSeconds) s (io_timeout_seconds)")
        }
        let status = sftp.map { sftp_get_error($0) } ?? -1
        switch status {
        case SSH_FX_NO_SUCH_FILE:
            return TransferError(.remote, "\(what): no such file or folder on \(settings.host); check remote_dir with the académie")
        case SSH_FX_PERMISSION_DENIED:
            return TransferError(.remote, "\(what): permission denied by \(settings.host)")
        default:
            return TransferError(.transfer, "\(what): \(lastError()) (SFTP status \(status))")
        }
    }

    private func checkReadable(_ path: String, what: String) throws {
        guard access(path, R_OK) == 0 else {
            throw TransferError(
                .hostKey,
                "cannot read the pinned \(what) file \(path); create it with the académie's host key (Docs/operations.md, "
                    + "'Pinning the host key')")
        }
    }

    /// R17: continue only on SSH_KNOWN_HOSTS_OK.
    private func verifyHostKey(_ session: ssh_session) throws {
        var serverKey: ssh_key?
        if ssh_get_server_publickey(session, &serverKey) == SSH_OK, let serverKey {
            var hash: UnsafeMutablePointer<UInt8>?
            var length = 0
            if ssh_get_publickey_hash(serverKey, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == 0, let hash {
                if let text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length) {
                    hostKeyFingerprint = String(cString: text)
                    ssh_string_free_char(text)
                }
                var h: UnsafeMutablePointer<UInt8>? = hash
                ssh_clean_pubkey_hash(&h)
            }
            ssh_key_free(serverKey)
        }
        let fingerprint = hostKeyFingerprint ?? "unknown"
        // libssh 0.10 skips `@revoked` lines: a key both pinned and revoked would pass. Checked here first.
        if let serverBlob = serverKeyBlob(session), SFTPClient.revokedKeys(in: settings.knownHosts).contains(serverBlob) {
            throw TransferError(
                .hostKey,
                "the host key of \(settings.host):\(settings.port) (\(fingerprint)) is marked @revoked in \(settings.knownHosts); "
                    + "nothing was sent. Ask the académie for its new host key (R17)")
        }
        let state = ssh_session_is_known_server(session)
        switch state {
        case SSH_KNOWN_HOSTS_OK:
            return
        case SSH_KNOWN_HOSTS_CHANGED:
            throw TransferError(
                .hostKey,
                "the host key of \(settings.host):\(settings.port) does not match \(settings.knownHosts) (server offers "
                    + "\(fingerprint)): possible interception; nothing was sent. Check the fingerprint with the académie "
                    + "before changing known_hosts (R17)")
        case SSH_KNOWN_HOSTS_OTHER:
            throw TransferError(
                .hostKey,
                "\(settings.host):\(settings.port) offered a host key of another type than the one pinned in "
                    + "\(settings.knownHosts) (\(fingerprint)); check with the académie (R17)")
        case SSH_KNOWN_HOSTS_UNKNOWN, SSH_KNOWN_HOSTS_NOT_FOUND:
            throw TransferError(
                .hostKey,
                "\(settings.host):\(settings.port) is not in \(settings.knownHosts) (server key \(fingerprint)); aafd "
                    + "never adds keys: pin it with ssh-keyscan after checking the fingerprint with the académie (R17)")
        default:
            throw TransferError(.hostKey, "cannot check the host key against \(settings.knownHosts): \(lastError())")
        }
    }
}

extension SFTPClient {
    /// The base64 blobs of the keys marked `@revoked` in a known_hosts file.
    static func revokedKeys(in path: String) -> Set<String> {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var result: Set<String> = []
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 4, fields[0] == "@revoked" else { continue }
            result.insert(String(fields[3]))
        }
        return result
    }

    /// The server's host key as known_hosts writes it (base64 blob).
    fileprivate func serverKeyBlob(_ session: ssh_session) -> String? {
        var key: ssh_key?
        guard ssh_get_server_publickey(session, &key) == SSH_OK, let key else { return nil }
        defer { ssh_key_free(key) }
        var b64: UnsafeMutablePointer<CChar>?
        guard ssh_pki_export_pubkey_base64(key, &b64) == SSH_OK, let b64 else { return nil }
        defer { ssh_string_free_char(b64) }
        return String(cString: b64)
    }
}

/// Shuts the connection's socket down when a remote call gets no answer for `timeout` seconds, so that a blocked
/// libssh call returns with an error instead of hanging: libssh 0.10's SFTP calls loop on their own poll timeout
/// (ADR 0007). One thread per connection; armed around each call, fed by download progress.
private final class Watchdog: Sendable {
    private struct State {
        var last: ContinuousClock.Instant = .now
        var armed = false
        var stopped = false
        var fired = false
    }

    private let state = Mutex(State())
    private let socket: Int32
    private let timeout: Int

    init(socket: Int32, timeout: Int) {
        self.socket = socket
        self.timeout = timeout
        let thread = Thread { [self] in self.watch() }
        thread.name = "aafd-sftp-watchdog"
        thread.start()
    }

    func arm() { state.withLock { $0.armed = true; $0.last = .now } }
    func disarm() { state.withLock { $0.armed = false } }
    func progress() { state.withLock { $0.last = .now } }
    func stop() { state.withLock { $0.stopped = true } }
    var fired: Bool { state.withLock { $0.fired } }

    private func watch() {
        while true {
            Thread.sleep(forTimeInterval: 0.25)
            let fire: Bool? = state.withLock { s in
                if s.stopped { return nil }
                guard s.armed, !s.fired, ContinuousClock.now - s.last > .seconds(timeout) else { return false }
                s.fired = true
                return true
            }
            guard let fire else { return }
            if fire { shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }
}
