import AAFFileSystem
internal import CLibSSH
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The private key, checked before use (R16): owned by the user aafd runs as, no group or other permission,
/// RSA of at least 2048 bits (Ed25519 and ECDSA only when `accepted_key_types` lists them: the académie agreed). The passphrase comes from
/// `passphrase_file` or `$CREDENTIALS_DIRECTORY/sftp-passphrase`, never from the command line.
public struct PrivateKey {
    let handle: ssh_key

    /// Whether the key is RSA (its signature algorithm is then chosen per attempt: rsa-sha2-512, rsa-sha2-256).
    var isRSA: Bool { ssh_key_type(handle) == SSH_KEYTYPE_RSA }

    /// The key's SSH type name (`ssh-ed25519`…), for messages.
    var typeName: String { ssh_key_type_to_char(ssh_key_type(handle)).map { String(cString: $0) } ?? "unknown" }

    /// Checks the key file, the passphrase and the key size without connecting (R16), for `aafd check-config`.
    public static func check(_ settings: SFTPSettings) throws {
        SFTPClient.initialize()
        let key = try load(settings)
        ssh_key_free(key.handle)
    }

    /// The name of the systemd credential holding the passphrase.
    static let passphraseCredential = "sftp-passphrase"
    /// The name of the systemd credential holding the key (`LoadCredential=sftp-key:…` in the shipped units).
    static let keyCredential = "sftp-key"

    /// The key file: the systemd credential `sftp-key` when the unit loaded one (whatever the unit: the daemon,
    /// the timer's one-shot and a commune's template instance share one configuration), else `[sftp] private_key`,
    /// which names the credential's source for the commands an administrator runs (issue 15).
    static func keyPath(_ settings: SFTPSettings) -> (path: String, credential: Bool) {
        if let credentials = ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"] {
            let file = (credentials as NSString).appendingPathComponent(keyCredential)
            if FileManager.default.fileExists(atPath: file) { return (file, true) }
        }
        return (settings.privateKey, false)
    }

    static func load(_ settings: SFTPSettings) throws -> PrivateKey {
        let (path, credential) = keyPath(settings)
        // systemd writes credentials 0400, owned by the unit's user (or root): nobody else may read it.
        try checkOwnerOnly(path, what: credential ? "private key credential" : "private key", rootMayOwn: credential)
        var passphrase: String?
        if let file = settings.passphraseFile {
            try checkOwnerOnly(file, what: "passphrase file")
            passphrase = try readSecret(file)
        } else if let credentials = ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"] {
            let file = (credentials as NSString).appendingPathComponent(passphraseCredential)
            if FileManager.default.fileExists(atPath: file) {
                // systemd writes credentials 0400, owned by the unit's user (or root): nobody else may read it.
                try checkOwnerOnly(file, what: "passphrase credential", rootMayOwn: true)
                passphrase = try readSecret(file)
            }
        }
        var key: ssh_key?
        let rc = ssh_pki_import_privkey_file(path, passphrase, nil, nil, &key)
        guard rc == SSH_OK, let key else {
            throw TransferError(
                .keyFile,
                "cannot read the private key \(path): "
                    + (passphrase == nil
                        ? "unsupported format, or it needs a passphrase (set passphrase_file)"
                        : "wrong passphrase or unsupported format")
            )
        }
        switch ssh_key_type(key) {
        case SSH_KEYTYPE_RSA:
            guard settings.acceptedKeyTypes.contains("rsa") else {
                ssh_key_free(key)
                throw TransferError(
                    .keyFile,
                    "\(path) is an RSA key, and [sftp] accepted_key_types does not list \"rsa\""
                )
            }
            let bits = rsaBits(key)
            guard let bits, bits >= 2048 else {
                ssh_key_free(key)
                throw TransferError(
                    .keyFile,
                    "\(path) is a \(bits.map { "\($0)-bit" } ?? "short") RSA key; the convention requires RSA-2048 (R16). "
                        + "Create a new pair with: aafd setup key --replace, and send the request it prints to the académie"
                )
            }
        case SSH_KEYTYPE_ED25519, SSH_KEYTYPE_ECDSA_P256, SSH_KEYTYPE_ECDSA_P384, SSH_KEYTYPE_ECDSA_P521:
            let type = ssh_key_type(key) == SSH_KEYTYPE_ED25519 ? "ed25519" : "ecdsa"
            guard settings.acceptedKeyTypes.contains(type) else {
                ssh_key_free(key)
                throw TransferError(
                    .keyFile,
                    "\(path) is an \(type == "ed25519" ? "Ed25519" : "ECDSA") key; annexe 4 of the convention asks for "
                        + "RSA-2048 (R16). Create one with: aafd setup key --replace, and send the request it prints to "
                        + "the académie; only if the académie agreed in writing to another type, add \"\(type)\" to "
                        + "[sftp] accepted_key_types"
                )
            }
        default:
            ssh_key_free(key)
            throw TransferError(.keyFile, "\(path) is not an RSA, Ed25519 or ECDSA key (R16)")
        }
        return PrivateKey(handle: key)
    }

    /// R16: the file belongs to the user aafd runs as and nobody else can read it.
    static func checkOwnerOnly(_ path: String, what: String, rootMayOwn: Bool = false) throws {
        do {
            try PathTrust.checkExisting(path, .secret(rootMayOwn: rootMayOwn), what: "the \(what)")
        } catch let refusal as PathTrust.Refusal {
            var info = stat()
            let missing = stat(path, &info) != 0 && errno == ENOENT
            throw TransferError(
                .keyFile,
                refusal.message
                    + (missing ? "; to create the key pair: aafd setup key (as root on an installed aafd)" : "")
            )
        }
    }

    private static func readSecret(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TransferError(.keyFile, "cannot read \(path)")
        }
        var text = String(decoding: data, as: UTF8.self)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        return text
    }

    /// The modulus size of an RSA key, read from its public key blob (`ssh-rsa`, e, n): libssh 0.10 has no
    /// `ssh_key_size`.
    static func rsaBits(_ key: ssh_key) -> Int? {
        var b64: UnsafeMutablePointer<CChar>?
        guard ssh_pki_export_pubkey_base64(key, &b64) == SSH_OK, let b64 else { return nil }
        defer { ssh_string_free_char(b64) }
        guard let blob = Data(base64Encoded: String(cString: b64)) else { return nil }
        let bytes = [UInt8](blob)
        var offset = 0
        func field() -> ArraySlice<UInt8>? {
            guard offset + 4 <= bytes.count else { return nil }
            let length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            offset += 4
            guard length >= 0, offset + length <= bytes.count else { return nil }
            defer { offset += length }
            return bytes[offset..<(offset + length)]
        }
        guard let type = field(), String(decoding: type, as: UTF8.self) == "ssh-rsa", field() != nil,
            let modulus = field()
        else { return nil }
        let significant = modulus.drop(while: { $0 == 0 })
        guard let first = significant.first else { return 0 }
        return (significant.count - 1) * 8 + (8 - first.leadingZeroBitCount)
    }
}
