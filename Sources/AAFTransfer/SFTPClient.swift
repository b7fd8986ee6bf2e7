internal import CLibSSH
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One file in the remote folder.
public struct RemoteEntry: Sendable, Hashable {
    public var name: String
    public var size: Int
    public var isRegularFile: Bool
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
        let auth = guarded { ssh_userauth_publickey(session, nil, key.handle) }
        if watchdog.fired {
            throw TransferError(.unreachable, "\(settings.host) stopped answering during authentication (io_timeout_seconds)")
        }
        guard auth == SSH_AUTH_SUCCESS.rawValue else {
            throw TransferError(
                .authentication,
                "\(settings.host) refused the key \(settings.privateKey) for user \(settings.user) (R16); check that the "
                    + "académie installed its public key for this account")
        }
        guard let sftp = guarded({ sftp_new(session) }) else {
            throw TransferError(.remote, "\(settings.host) did not open an SFTP channel: \(lastError())")
        }
        self.sftp = sftp
        guard guarded({ sftp_init(sftp) }) == SSH_OK else {
            throw TransferError(.remote, "\(settings.host) refused the SFTP subsystem: \(lastError())")
        }
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

    /// The remote folder's entries (not `.` and `..`).
    public func list() throws -> [RemoteEntry] {
        let sftp = try channel()
        guard let dir = guarded({ sftp_opendir(sftp, settings.remoteDirectory) }) else {
            throw remoteError("cannot open the remote folder \(settings.remoteDirectory)")
        }
        defer { _ = guarded { sftp_closedir(dir) } }
        var entries: [RemoteEntry] = []
        while let attributes = guarded({ sftp_readdir(sftp, dir) }) {
            defer { sftp_attributes_free(attributes) }
            guard let cName = attributes.pointee.name else { continue }
            let name = String(cString: cName)
            if name == "." || name == ".." { continue }
            entries.append(
                RemoteEntry(
                    name: name, size: Int(attributes.pointee.size),
                    isRegularFile: attributes.pointee.type == UInt8(SSH_FILEXFER_TYPE_REGULAR)))
        }
        guard sftp_dir_eof(dir) == 1 else {
            throw TransferError(.transfer, "listing \(settings.remoteDirectory) was cut: \(lastError())")
        }
        return entries
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

    /// Deletes one remote file (`sftp_unlink`).
    public func remove(_ name: String) throws {
        let sftp = try channel()
        guard guarded({ sftp_unlink(sftp, remotePath(name)) }) == 0 else {
            throw remoteError("cannot delete \(name) on the server")
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
