/// Looks at the bytes before libxml2 does, and refuses markup no AAF file has: a start tag, declaration,
/// processing instruction or comment longer than ``ParserLimits/maxMarkupBytes``.
///
/// libxml2 2.9.14 checks duplicate attributes of a start tag quadratically (one `<value>` with 100,000 attributes
/// costs 3 s, 300,000 cost 21 s) and cannot be interrupted inside a chunk. Capping the length of every piece of
/// markup bounds that work: an AAF start tag is tens of bytes (`<attr name="ENTPersonNom">`), a header comment a
/// few hundred. The scan is one pass over the bytes, its state carried from chunk to chunk; quoted attribute
/// values are followed, so a `>` inside quotes does not end a tag.
struct MarkupGuard {
    private enum State {
        case text
        /// Just after `<`.
        case open
        case tag
        case quoted(UInt8)
        /// After `<!`: a comment (`<!--`) or a declaration.
        case bang
        case bangDash
        case comment
        /// Inside a comment, after one or two `-`.
        case commentDash(Int)
        case declaration
        case instruction
    }

    private var state = State.text
    /// Bytes of the current piece of markup so far.
    private var length = 0
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Scans `bytes`; returns false at the first piece of markup longer than the limit.
    mutating func scan(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return true }
        var i = 0
        let n = bytes.count
        while i < n {
            let b = base[i]
            i += 1
            switch state {
            case .text:
                // Skip text quickly: only `<` matters.
                if b == 0x3C {
                    state = .open
                    length = 1
                }
                continue
            case .open:
                state = b == 0x21 ? .bang : (b == 0x3F ? .instruction : .tag)
            case .tag:
                if b == 0x3E {
                    state = .text
                    continue
                } else if b == 0x22 || b == 0x27 {
                    state = .quoted(b)
                }
            case .quoted(let q):
                if b == q { state = .tag }
            case .bang:
                state = b == 0x2D ? .bangDash : .declaration
            case .bangDash:
                state = b == 0x2D ? .comment : .declaration
            case .comment:
                if b == 0x2D { state = .commentDash(1) }
            case .commentDash(let dashes):
                if b == 0x3E, dashes >= 2 {
                    state = .text
                    continue
                }
                state = b == 0x2D ? .commentDash(dashes + 1) : .comment
            case .declaration, .instruction:
                if b == 0x3E {
                    state = .text
                    continue
                }
            }
            length += 1
            if length > limit { return false }
        }
        return true
    }
}
