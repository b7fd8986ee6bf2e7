internal import CCrypto

/// Incremental SHA-256 over OpenSSL's EVP interface (`EVP_DigestInit_ex`/`Update`/`Final_ex`).
public final class SHA256Hasher {
    private let context: OpaquePointer

    public init() {
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        self.context = context
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    /// The digest as 64 lower-case hex digits.
    public func finalize() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in digest.prefix(Int(length)) {
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension SHA256Hasher {
    /// The SHA-256 of a string's UTF-8 bytes, as hex.
    public static func hex(_ text: String) -> String {
        let h = SHA256Hasher()
        var copy = text
        copy.withUTF8 { h.update(UnsafeRawBufferPointer($0)) }
        return h.finalize()
    }
}
