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
    public func finalize() -> String { finalizeDigest().hex }

    /// The digest itself, held in place: for comparing many digests without an allocation each.
    public func finalizeDigest() -> SHA256Digest {
        var digest = SHA256Digest()
        var length: UInt32 = 0
        withUnsafeMutableBytes(of: &digest.words) { bytes in
            _ = EVP_DigestFinal_ex(context, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), &length)
        }
        return digest
    }
}

/// A SHA-256 digest: 32 bytes in the value itself, no allocation.
public struct SHA256Digest: Hashable, Sendable {
    fileprivate var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    public static func == (a: Self, b: Self) -> Bool { a.words == b.words }

    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes(of: words) { hasher.combine(bytes: $0) }
    }

    /// 64 lower-case hex digits, the bytes in order.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        withUnsafeBytes(of: words) { bytes in
            for b in bytes {
                out.append(digits[Int(b >> 4)])
                out.append(digits[Int(b & 15)])
            }
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
