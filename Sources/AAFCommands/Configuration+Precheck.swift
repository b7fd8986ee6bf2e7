import AAFModel
import Foundation

extension Configuration {
    /// Refuses, with exit 78 and the line, the table headers that make TOMLKit's parser (toml++) abort the process
    /// on an assertion instead of reporting an error: a `[` or `[[` followed by anything but a key, a quote, `[` or
    /// `]` (`[.`, `[#`, `[=`, `[[[`; found by fuzzing, scripts/fuzz.sh). Lines inside multi-line strings are skipped.
    static func precheck(_ text: String, source: String) throws {
        // On bytes, not Characters: a combining mark after `[` would otherwise hide the bracket in one grapheme.
        var inMultiline = false
        let space = UInt8(ascii: " ")
        let tab = UInt8(ascii: "\t")
        let open = UInt8(ascii: "[")
        let hash = UInt8(ascii: "#")
        let dq = UInt8(ascii: "\"")
        let sq = UInt8(ascii: "'")
        for (index, raw) in Array(text.utf8).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .enumerated()
        {
            let line = raw.drop(while: { $0 == space || $0 == tab })
            // Only the code before a comment can open or close a multi-line string (`# """` does not).
            var code = line[...]
            if !inMultiline {
                var quote: UInt8?
                for i in line.indices {
                    let c = line[i]
                    if let q = quote {
                        if c == q { quote = nil }
                    } else if c == dq || c == sq {
                        quote = c
                    } else if c == hash {
                        code = line[..<i]
                        break
                    }
                }
            }
            var triples = 0
            var i = code.startIndex
            while code.endIndex - i >= 3 {
                if code[i] == dq || code[i] == sq, code[i + 1] == code[i], code[i + 2] == code[i] {
                    triples += 1
                    i += 3
                } else {
                    i += 1
                }
            }
            defer { if triples % 2 == 1 { inMultiline.toggle() } }
            guard !inMultiline, line.first == open else { continue }
            var rest = line.dropFirst()
            if rest.first == open { rest = rest.dropFirst() }
            rest = rest.drop(while: { $0 == space || $0 == tab })
            guard let next = rest.first else {
                throw CommandFailure(
                    .config,
                    "\(source):\(index + 1): a table header is not closed; see Config/aafd.example.toml"
                )
            }
            let bare =
                (next >= 0x30 && next <= 0x39) || (next >= 0x41 && next <= 0x5A) || (next >= 0x61 && next <= 0x7A)
            guard
                bare || next == UInt8(ascii: "_") || next == UInt8(ascii: "-") || next == dq || next == sq
                    || next == UInt8(ascii: "]")
            else {
                throw CommandFailure(
                    .config,
                    "\(source):\(index + 1): a table name must start with a letter, a digit, '_', '-' or a quote; see Config/aafd.example.toml"
                )
            }
        }
    }
}
