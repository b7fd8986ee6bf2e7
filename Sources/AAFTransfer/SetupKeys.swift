internal import CLibSSH
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A key pair made by libssh for `aafd setup key` (issue 25): RSA 2048 bits (annexe 4, R16), no `ssh-keygen` needed.
public struct GeneratedKey: Sendable {
    /// The private key, PEM text, to be written 0600 by the caller.
    public var privatePEM: String
    /// `ssh-rsa AAAA… comment`: the line the académie installs.
    public var publicLine: String
    /// `SHA256:…` as OpenSSH prints it.
    public var fingerprint: String
    /// The key's size in bits (2048).
    public var bits: Int

    /// Generates an RSA key of `bits` bits with libssh.
    public static func rsa(bits: Int = 2048, comment: String) throws -> GeneratedKey {
        SFTPClient.initialize()
        var key: ssh_key?
        guard ssh_pki_generate(SSH_KEYTYPE_RSA, Int32(bits), &key) == SSH_OK, let key else {
            throw TransferError(.local, "libssh could not generate an RSA key of \(bits) bits")
        }
        defer { ssh_key_free(key) }
        var pem: UnsafeMutablePointer<CChar>?
        guard ssh_pki_export_privkey_base64(key, nil, nil, nil, &pem) == SSH_OK, let pem else {
            throw TransferError(.local, "libssh could not export the new private key")
        }
        defer { ssh_string_free_char(pem) }
        guard let blob = HostKeyProbe.publicBlob(key), let fingerprint = HostKeyProbe.fingerprint(key) else {
            throw TransferError(.local, "libssh could not export the new public key")
        }
        let type = ssh_key_type_to_char(ssh_key_type(key)).map { String(cString: $0) } ?? "ssh-rsa"
        return GeneratedKey(
            privatePEM: String(cString: pem),
            publicLine: "\(type) \(blob) \(comment)",
            fingerprint: fingerprint,
            bits: PrivateKey.rsaBits(key) ?? 0
        )
    }
}

/// What a server offers as host keys, one connection per key type (`aafd setup host-key`, issue 25): nothing is
/// authenticated, nothing is sent but the key exchange, and nothing is trusted; the caller pins a key only when its
/// fingerprint equals the one the académie gave by another channel (R17: no trust on first use).
public enum HostKeyProbe {
    /// One host key the server offered.
    public struct Offered: Sendable, Hashable {
        /// `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`…
        public var type: String
        /// The key's base64 blob.
        public var blob: String
        /// `SHA256:…` as OpenSSH prints it.
        public var fingerprint: String
        /// The known_hosts line for `host`:`port` (`[host]:port` when the port is not 22).
        public func knownHostsLine(host: String, port: Int) -> String {
            "\(port == 22 ? host : "[\(host)]:\(port)") \(type) \(blob)"
        }
    }

    /// The host key algorithms asked one at a time, strongest first.
    static let algorithms = [
        "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512",
    ]

    /// Every host key `host`:`port` offers, each once. Throws when the server cannot be reached at all.
    public static func offered(host: String, port: Int, timeoutSeconds: Int) throws -> [Offered] {
        SFTPClient.initialize()
        var result: [Offered] = []
        var reached = false
        var lastError = ""
        for algorithm in algorithms {
            guard let session = ssh_new() else { throw TransferError(.local, "libssh could not allocate a session") }
            defer {
                ssh_disconnect(session)
                ssh_free(session)
            }
            ssh_options_set(session, SSH_OPTIONS_HOST, host)
            var p = UInt32(port)
            ssh_options_set(session, SSH_OPTIONS_PORT, &p)
            var processConfig = false
            ssh_options_set(session, SSH_OPTIONS_PROCESS_CONFIG, &processConfig)
            ssh_options_set(session, SSH_OPTIONS_KNOWNHOSTS, "/dev/null")
            ssh_options_set(session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null")
            ssh_options_set(session, SSH_OPTIONS_SSH_DIR, "/nonexistent")
            ssh_options_set(session, SSH_OPTIONS_HOSTKEYS, algorithm)
            var timeout = timeoutSeconds
            ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout)
            guard ssh_connect(session) == SSH_OK else {
                lastError = String(cString: ssh_get_error(UnsafeMutableRawPointer(session)))
                // A server that offers no key of this type ends the key exchange; one that cannot be reached fails
                // every attempt.
                continue
            }
            reached = true
            var key: ssh_key?
            guard ssh_get_server_publickey(session, &key) == SSH_OK, let key else { continue }
            defer { ssh_key_free(key) }
            let type = ssh_key_type_to_char(ssh_key_type(key)).map { String(cString: $0) } ?? algorithm
            guard let blob = publicBlob(key), let fingerprint = fingerprint(key) else { continue }
            let offered = Offered(type: type, blob: blob, fingerprint: fingerprint)
            if !result.contains(offered) { result.append(offered) }
        }
        guard reached else {
            throw TransferError(
                .unreachable,
                "cannot connect to \(host):\(port): \(lastError); check the name, the port and that the académie lets "
                    + "this machine's address through"
            )
        }
        return result
    }

    /// A fingerprint as the académie may write it: `SHA256:` (any case) optional, base64 with or without padding.
    public static func normalised(_ text: String) -> String {
        var t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if t.lowercased().hasPrefix("sha256:") { t = String(t.dropFirst(7)) }
        while t.hasSuffix("=") { t.removeLast() }
        return "SHA256:" + t
    }

    static func publicBlob(_ key: ssh_key) -> String? {
        var b64: UnsafeMutablePointer<CChar>?
        guard ssh_pki_export_pubkey_base64(key, &b64) == SSH_OK, let b64 else { return nil }
        defer { ssh_string_free_char(b64) }
        return String(cString: b64)
    }

    static func fingerprint(_ key: ssh_key) -> String? {
        var hash: UnsafeMutablePointer<UInt8>?
        var length = 0
        guard ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == 0, let hash else { return nil }
        defer {
            var h: UnsafeMutablePointer<UInt8>? = hash
            ssh_clean_pubkey_hash(&h)
        }
        let digest = Data(bytes: hash, count: length).base64EncodedString()
        return normalised(digest)
    }
}
