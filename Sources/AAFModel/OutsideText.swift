/// Text that came from outside aafd (an SFTP server's messages, XML values, what an administrator typed into a
/// register, file names), made safe for a terminal, the journal, an alert's environment or a hook (issue 20).
///
/// Whoever holds the `aafd` user can write the database, and a server can say anything: printed raw, such text
/// could move root's cursor, rewrite the terminal's title, hide a line (CR), reverse what follows (bidi
/// overrides) or, after a line break, forge a journal line at any priority (`<0>`). Every control character is
/// shown as a visible escape instead:
/// - C0 controls (U+0000–U+001F) as `\x1b`, `\n`, `\r`, `\t`;
/// - DEL, C1 controls (U+0080–U+009F), the bidi marks, embeddings, overrides and isolates (U+200E, U+200F,
///   U+202A–U+202E, U+2066–U+2069), the line and paragraph separators (U+2028, U+2029) as `\u009b`, `\u202e`:
///   written that way, they are also valid escapes inside a JSON string, so JSON output stays exact JSON.
public enum OutsideText {
    /// One value, every control escaped, line breaks included: it always stays on its line.
    public static func escaped(_ text: String) -> String {
        escape(text, keepingLines: false)
    }

    /// A whole text aafd composed (several lines of its own): every control escaped except the line feed and the
    /// tab, which aafd writes itself. Values from outside inside it must already be ``escaped(_:)``.
    public static func escapedKeepingLines(_ text: String) -> String {
        escape(text, keepingLines: true)
    }

    /// Whether `text` holds nothing that ``escaped(_:)`` would change.
    public static func isPlain(_ text: String) -> Bool {
        !text.unicodeScalars.contains { needsEscape($0, keepingLines: false) }
    }

    static func needsEscape(_ scalar: Unicode.Scalar, keepingLines: Bool) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: !keepingLines
        case 0x00...0x1F, 0x7F...0x9F, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029: true
        default: false
        }
    }

    private static func escape(_ text: String, keepingLines: Bool) -> String {
        // The common case, plain text, costs one scan and no copy.
        guard text.unicodeScalars.contains(where: { needsEscape($0, keepingLines: keepingLines) }) else {
            return text
        }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar, keepingLines: keepingLines) else {
                out.append(scalar)
                continue
            }
            let replacement: String
            switch scalar.value {
            case 0x0A: replacement = "\\n"
            case 0x0D: replacement = "\\r"
            case 0x09: replacement = "\\t"
            case 0x00...0x1F: replacement = "\\x" + hex(scalar.value, width: 2)
            default: replacement = "\\u" + hex(scalar.value, width: 4)
            }
            out.append(contentsOf: replacement.unicodeScalars)
        }
        return String(out)
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
