import Foundation

/// Edits a TOML configuration's text a key at a time, keeping every comment and every other line as it was
/// (`aafd setup`, issue 25): a key set (`key = …`) or commented out (`# key = …`, as in the shipped file) in its
/// section is replaced in place; a key the section lacks is added at the section's end; a missing section is added at
/// the end of the file.
struct ConfigurationText {
    private(set) var lines: [String]

    init(_ text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
    }

    var text: String { lines.joined(separator: "\n") + "\n" }

    /// A TOML basic string.
    static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out +=
                        "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                        + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// The section header a line opens (`[sftp]` or, commented out, `# [sftp]`), if any.
    private static func section(of line: String) -> (name: String, commented: Bool)? {
        var t = Substring(line).drop { $0 == " " || $0 == "\t" }
        var commented = false
        if t.hasPrefix("#") {
            commented = true
            t = t.dropFirst().drop { $0 == " " }
        }
        guard t.hasPrefix("["), !t.hasPrefix("[["), let end = t.firstIndex(of: "]") else { return nil }
        let name = t[t.index(after: t.startIndex)..<end].trimmingCharacters(in: .whitespaces)
        let rest = t[t.index(after: end)...].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, rest.isEmpty || rest.hasPrefix("#"), name.allSatisfy({ $0.isLetter || $0 == "_" })
        else { return nil }
        return (name, commented)
    }

    /// Whether `line` sets `key` (`key = …`), or did before being commented out (`# key = …`).
    private static func sets(_ line: String, _ key: String) -> Bool {
        var t = Substring(line).drop { $0 == " " || $0 == "\t" }
        if t.hasPrefix("#") { t = t.dropFirst().drop { $0 == " " } }
        guard t.hasPrefix(key) else { return false }
        return t.dropFirst(key.count).drop { $0 == " " || $0 == "\t" }.hasPrefix("=")
    }

    /// Sets `key` to `value` (already TOML: ``quoted(_:)`` for a string) in `section`.
    mutating func set(_ section: String, _ key: String, _ value: String) {
        let line = "\(key) = \(value)"
        // The section's live header, else its commented one (uncommented then).
        var header = lines.firstIndex { Self.section(of: $0).map { $0.name == section && !$0.commented } ?? false }
        if header == nil,
            let commented = lines.firstIndex(where: {
                Self.section(of: $0).map { $0.name == section && $0.commented } ?? false
            })
        {
            lines[commented] = "[\(section)]"
            header = commented
        }
        guard let header else {
            if lines.last.map({ !$0.isEmpty }) ?? false { lines.append("") }
            lines += ["[\(section)]", line]
            return
        }
        var end = lines.count
        for index in (header + 1)..<lines.count where Self.section(of: lines[index]) != nil {
            end = index
            break
        }
        // A live setting first, else the commented example of it.
        let range = (header + 1)..<end
        if let live = range.first(where: {
            !lines[$0].trimmingCharacters(in: .whitespaces).hasPrefix("#") && Self.sets(lines[$0], key)
        }) {
            lines[live] = line
        } else if let example = range.first(where: { Self.sets(lines[$0], key) }) {
            lines[example] = line
        } else {
            var at = end
            while at > header + 1, lines[at - 1].trimmingCharacters(in: .whitespaces).isEmpty { at -= 1 }
            lines.insert(line, at: at)
        }
    }

    /// The line range of `section`'s live body (after its uncommented header), if the section is live.
    private func body(_ section: String) -> Range<Int>? {
        guard
            let header = lines.firstIndex(where: {
                Self.section(of: $0).map { $0.name == section && !$0.commented } ?? false
            })
        else { return nil }
        var end = lines.count
        for index in (header + 1)..<lines.count where Self.section(of: lines[index]) != nil {
            end = index
            break
        }
        return (header + 1)..<end
    }

    private static func isLive(_ line: String) -> Bool { !line.trimmingCharacters(in: .whitespaces).hasPrefix("#") }

    /// Whether `key` is set, uncommented, in the live `section`.
    func isSet(_ section: String, _ key: String) -> Bool {
        body(section).map { range in range.contains { Self.isLive(lines[$0]) && Self.sets(lines[$0], key) } } ?? false
    }

    /// Comments out `key` in `section` (kept as an example), if it is set.
    mutating func comment(_ section: String, _ key: String) {
        guard let range = body(section) else { return }
        for index in range where Self.isLive(lines[index]) && Self.sets(lines[index], key) {
            lines[index] = "# " + lines[index]
        }
    }
}
