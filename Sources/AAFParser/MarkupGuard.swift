#if canImport(Glibc)
import Glibc
#endif

/// Looks at the bytes before libxml2 does, and refuses markup no AAF file has: a start tag, declaration,
/// processing instruction or comment longer than ``ParserLimits/maxMarkupBytes``.
///
/// libxml2 2.9.14 checks duplicate attributes of a start tag quadratically (one `<value>` with 100,000 attributes
/// costs 3 s, 300,000 cost 21 s) and cannot be interrupted inside a chunk. Capping the length of every piece of
/// markup bounds that work: an AAF start tag is tens of bytes (`<attr name="ENTPersonNom">`), a header comment a
/// few hundred. The scan is one pass over the bytes with `memchr` between the bytes that matter, its state
/// carried from chunk to chunk; quoted attribute values are followed, so a `>` inside quotes does not end a tag.
struct MarkupGuard {
    // States, as small integers (the hot loop switches on them).
    private static let text: UInt8 = 0
    private static let open: UInt8 = 1  // just after `<`
    private static let tag: UInt8 = 2
    private static let quoted: UInt8 = 3
    private static let bang: UInt8 = 4  // after `<!`
    private static let bangDash: UInt8 = 5  // after `<!-`
    private static let comment: UInt8 = 6
    private static let declaration: UInt8 = 7  // `<!DOCTYPE …>`, `<?xml …?>`

    private var state = MarkupGuard.text
    private var quote: UInt8 = 0
    /// Consecutive `-` just seen inside a comment.
    private var dashes = 0
    /// Bytes of the current piece of markup so far.
    private var length = 0
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// The first `byte` in `[from, end)`, by `memchr`.
    private static func find(
        _ byte: UInt8,
        _ from: UnsafePointer<UInt8>,
        _ end: UnsafePointer<UInt8>
    ) -> UnsafePointer<UInt8>? {
        guard from < end, let hit = memchr(from, Int32(byte), end - from) else { return nil }
        return UnsafePointer(hit.assumingMemoryBound(to: UInt8.self))
    }

    /// Scans `bytes`; returns false at the first piece of markup longer than the limit.
    mutating func scan(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let start = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return true }
        let end = start + bytes.count
        var p = start
        while p < end {
            switch state {
            case MarkupGuard.text:
                guard var lt = MarkupGuard.find(0x3C, p, end) else { return true }
                // A tag (`<` then neither `!` nor `?`) holds no `<` when it is well formed, so it is no longer than
                // the distance to the next `<`: when that `<` is in this chunk and within the limit, the tag is
                // within it too, and the scan jumps there (one `memchr` per tag instead of a walk through it; issue
                // 24). A tag that does hold a `<` is not well formed: libxml2 stops at that `<` (a fatal error), so
                // the attributes it has read before it lie within the limit too. Anything else is walked below.
                while lt + 1 < end, lt[1] != 0x21, lt[1] != 0x3F,
                    let next = MarkupGuard.find(0x3C, lt + 1, min(end, lt + limit + 1))
                {
                    lt = next
                }
                p = lt + 1
                state = MarkupGuard.open
                length = 1
                continue
            case MarkupGuard.open:
                let b = p.pointee
                state = b == 0x21 ? MarkupGuard.bang : (b == 0x3F ? MarkupGuard.declaration : MarkupGuard.tag)
                p += 1
                length += 1
            case MarkupGuard.tag:
                var q = p
                while q < end {
                    let b = q.pointee
                    if b == 0x3E || b == 0x22 || b == 0x27 { break }
                    q += 1
                }
                length += q - p
                if q < end {
                    if q.pointee == 0x3E {
                        state = MarkupGuard.text
                    } else {
                        quote = q.pointee
                        state = MarkupGuard.quoted
                    }
                    length += 1
                    q += 1
                }
                p = q
            case MarkupGuard.quoted:
                let found = MarkupGuard.find(quote, p, end)
                let q = found ?? end
                length += q - p + (found == nil ? 0 : 1)
                if found != nil { state = MarkupGuard.tag }
                p = found.map { $0 + 1 } ?? end
            case MarkupGuard.bang:
                state = p.pointee == 0x2D ? MarkupGuard.bangDash : MarkupGuard.declaration
                p += 1
                length += 1
            case MarkupGuard.bangDash:
                state = p.pointee == 0x2D ? MarkupGuard.comment : MarkupGuard.declaration
                dashes = 0
                p += 1
                length += 1
            case MarkupGuard.comment:
                let b = p.pointee
                if b == 0x3E, dashes >= 2 {
                    state = MarkupGuard.text
                } else if b == 0x2D {
                    dashes += 1
                } else {
                    dashes = 0
                    // Skip to the next `-`.
                    let found = MarkupGuard.find(0x2D, p + 1, end)
                    let q = found ?? end
                    length += q - (p + 1)
                    p = q
                    length += 1
                    if length > limit { return false }
                    continue
                }
                p += 1
                length += 1
            default:  // declaration
                let found = MarkupGuard.find(0x3E, p, end)
                let q = found ?? end
                length += q - p + (found == nil ? 0 : 1)
                if found != nil { state = MarkupGuard.text }
                p = found.map { $0 + 1 } ?? end
            }
            if length > limit { return false }
        }
        return true
    }
}
