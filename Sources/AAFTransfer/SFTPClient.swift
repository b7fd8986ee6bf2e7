import AAFFileSystem
internal import CLibSSH
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An SFTP connection to the académie's server (libssh 0.10): `ssh_session` → `sftp_session`, torn down child first.
///
/// The constructor does everything that can refuse: connect (with `connect_timeout_seconds`), check the server's
/// host key against the pinned known_hosts file before authenticating (R17: unknown or changed → refused, nothing
/// is ever added), check the private key file (R16: owner only, RSA ≥ 2048 bits), then authenticate with it.
/// Use one client from one thread.
public final class SFTPClient {
    var session: ssh_session?
    var sftp: sftp_session?
    let settings: SFTPSettings
    /// Ends any remote call that gets no answer for `io_timeout_seconds` (ADR 0007).
    var watchdog: Watchdog?
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
        // libssh expands its default paths ("%d/.ssh") from the user's home when a session is applied; a systemd
        // DynamicUser has none ("Couldn't apply options", issue 15). aafd uses none of those defaults: point the
        // SSH folder at the pinned known_hosts file's, so nothing depends on $HOME.
        try option(SSH_OPTIONS_SSH_DIR, PathTrust.folder(of: settings.knownHosts))
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
                    + "the académie lets this machine's address through"
            )
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
    func authenticate(_ session: ssh_session, key: PrivateKey) throws {
        guard let watchdog else { throw TransferError(.transfer, "connection closed") }
        let none = guarded { ssh_userauth_none(session, nil) }
        if none == SSH_AUTH_SUCCESS.rawValue { return }  // the server asks for nothing more (its choice)
        guard none == SSH_AUTH_DENIED.rawValue || none == SSH_AUTH_PARTIAL.rawValue else {
            throw TransferError(
                .unreachable,
                watchdog.fired
                    ? "\(settings.host) stopped answering during authentication (io_timeout_seconds)"
                    : "\(settings.host) closed the connection before authentication: \(lastError())"
            )
        }
        let methods = ssh_userauth_list(session, nil)
        guard methods & Int32(SSH_AUTH_METHOD_PUBLICKEY) != 0 else {
            throw TransferError(
                .authentication,
                "\(settings.host) does not offer public-key authentication to user \(settings.user) (it offers: "
                    + "\(AuthenticationAttempt.methodNames(methods))); nothing was sent with the key. Ask the académie to "
                    + "enable public-key login for this account (R16)"
            )
        }
        let algorithms: [String?] = key.isRSA ? SFTPClient.rsaSignatureAlgorithms : [nil]
        var attempts: [AuthenticationAttempt] = []
        for algorithm in algorithms {
            if let algorithm { try option(SSH_OPTIONS_PUBLICKEY_ACCEPTED_TYPES, algorithm) }
            let name = algorithm ?? key.typeName
            let result = guarded { ssh_userauth_publickey(session, nil, key.handle) }
            if result == SSH_AUTH_SUCCESS.rawValue { return }
            if watchdog.fired {
                throw TransferError(
                    .unreachable,
                    "\(settings.host) stopped answering during authentication (io_timeout_seconds)"
                )
            }
            guard result == SSH_AUTH_DENIED.rawValue || result == SSH_AUTH_PARTIAL.rawValue else {
                attempts.append(AuthenticationAttempt(algorithm: name, result: .error(lastError())))
                throw TransferError(
                    .unreachable,
                    "\(settings.host) closed the connection during authentication (\(attempts.map(\.description).joined(separator: "; ")))"
                )
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
                    + "Ask the académie to enable rsa-sha2-256 or rsa-sha2-512 on its server"
            )
        }
        throw TransferError(
            .authentication,
            "\(settings.host) refused the key \(settings.privateKey) for user \(settings.user) (\(tried)) (R16); check "
                + "that the académie installed its public key for this account"
        )
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

    // MARK: Helpers

    /// Runs one blocking libssh call under the watchdog.
    func guarded<T>(_ call: () -> T) -> T {
        watchdog?.arm()
        defer { watchdog?.disarm() }
        return call()
    }

    func channel() throws -> sftp_session {
        guard let sftp else { throw TransferError(.transfer, "the SFTP connection is closed") }
        return sftp
    }

    func remotePath(_ name: String) -> String {
        settings.remoteDirectory.hasSuffix("/")
            ? settings.remoteDirectory + name : settings.remoteDirectory + "/" + name
    }

    func option(_ option: ssh_options_e, _ value: String) throws {
        guard let session, ssh_options_set(session, option, value) == SSH_OK else {
            throw TransferError(.keyFile, "invalid SFTP setting for libssh option \(option.rawValue)")
        }
    }

    func lastError() -> String {
        guard let session, let text = clibssh_error(session) else { return "unknown error" }
        let message = String(cString: text)
        return message.isEmpty ? "unknown error" : message
    }

    /// A remote failure, told apart by the SFTP status: missing versus refused.
    func remoteError(_ what: String) -> TransferError {
        if watchdog?.fired == true {
            return TransferError(
                .transfer,
                "\(what): \(settings.host) stopped answering for \(settings.ioTimeoutSeconds) s (io_timeout_seconds)"
            )
        }
        let status = sftp.map { sftp_get_error($0) } ?? -1
        switch status {
        case SSH_FX_NO_SUCH_FILE:
            return TransferError(
                .remote,
                "\(what): no such file or folder on \(settings.host); check remote_dir with the académie"
            )
        case SSH_FX_PERMISSION_DENIED:
            return TransferError(.remote, "\(what): permission denied by \(settings.host)")
        default:
            return TransferError(.transfer, "\(what): \(lastError()) (SFTP status \(status))")
        }
    }

    func checkReadable(_ path: String, what: String) throws {
        guard access(path, R_OK) == 0 else {
            throw TransferError(
                .hostKey,
                "cannot read the pinned \(what) file \(path); pin the académie's host key with `aafd setup host-key "
                    + "--fingerprint SHA256:…` (the fingerprint the académie gave by phone or signed mail)"
            )
        }
    }

    /// R17: continue only on SSH_KNOWN_HOSTS_OK.
    func verifyHostKey(_ session: ssh_session) throws {
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
        if let serverBlob = serverKeyBlob(session), SFTPClient.revokedKeys(in: settings.knownHosts).contains(serverBlob)
        {
            throw TransferError(
                .hostKey,
                "the host key of \(settings.host):\(settings.port) (\(fingerprint)) is marked @revoked in \(settings.knownHosts); "
                    + "nothing was sent. Ask the académie for its new host key (R17)"
            )
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
                    + "before changing known_hosts (R17)"
            )
        case SSH_KNOWN_HOSTS_OTHER:
            throw TransferError(
                .hostKey,
                "\(settings.host):\(settings.port) offered a host key of another type than the one pinned in "
                    + "\(settings.knownHosts) (\(fingerprint)); check with the académie (R17)"
            )
        case SSH_KNOWN_HOSTS_UNKNOWN, SSH_KNOWN_HOSTS_NOT_FOUND:
            throw TransferError(
                .hostKey,
                "\(settings.host):\(settings.port) is not in \(settings.knownHosts) (server key \(fingerprint)); aafd "
                    + "never adds keys: pin it with `aafd setup host-key --fingerprint SHA256:…`, the fingerprint the académie "
                    + "gave by another channel (R17)"
            )
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
    func serverKeyBlob(_ session: ssh_session) -> String? {
        var key: ssh_key?
        guard ssh_get_server_publickey(session, &key) == SSH_OK, let key else { return nil }
        defer { ssh_key_free(key) }
        var b64: UnsafeMutablePointer<CChar>?
        guard ssh_pki_export_pubkey_base64(key, &b64) == SSH_OK, let b64 else { return nil }
        defer { ssh_string_free_char(b64) }
        return String(cString: b64)
    }
}
