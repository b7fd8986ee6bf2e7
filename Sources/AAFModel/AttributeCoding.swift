/// The stored form of a record's attributes: one canonical JSON object per person or structure (ADR 0016, which
/// replaces ADR 0004's control-character form).
///
/// `{"name":["value","value"],"name":["value"]}`, attributes in file order, each with its non-empty values in
/// order; a record with no value is `{}`. Strings are escaped one way only (`\\`, `\"`, `\t`, `\n`, `\r`, any other
/// control character as `\u00XX`), so the form is canonical and "unchanged" is a byte comparison: no checksum, no
/// collision. It is also what the ENT reads: the views' `attributes` column is this column as it is, and SQLite's
/// JSON functions read it with no decoding in SQL. AAF extracts are machine-written in a stable attribute order;
/// should the academy reorder attributes, each record is rewritten once with the same values (an "updated"
/// count, no data change), which costs time, never correctness.
public enum AttributeCoding {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")

    /// The form of a record with no value.
    public static let empty: [UInt8] = Array("{}".utf8)

    /// Encodes into `buffer` (cleared first), reusing its storage.
    public static func encode(_ attributes: [AAFAttribute], into buffer: inout [UInt8]) {
        buffer.removeAll(keepingCapacity: true)
        // `<value/>`, an empty list and an absent attribute all mean "no value" (aaf-format.md §4):
        // empty values and attributes left with none are not stored, so the three compare equal.
        for attribute in attributes where attribute.values.contains(where: { !$0.isEmpty }) {
            var first = true
            for value in attribute.values where !value.isEmpty {
                if first {
                    beginAttribute(Array(attribute.name.utf8), in: &buffer)
                    first = false
                } else {
                    buffer.append(UInt8(ascii: ","))
                }
                appendString(Array(value.utf8), to: &buffer)
            }
        }
        finish(&buffer)
    }

    /// Encodes into a new array.
    public static func encode(_ attributes: [AAFAttribute]) -> [UInt8] {
        var buffer: [UInt8] = []
        encode(attributes, into: &buffer)
        return buffer
    }

    // MARK: Building the form a value at a time (the parser's SAX callbacks)

    /// Starts an attribute whose first value follows: `{"name":[` for the first, `],"name":[` after another.
    @inlinable
    public static func beginAttribute<Sink: ByteSink & ~Copyable>(
        _ name: UnsafeBufferPointer<UInt8>,
        in buffer: inout Sink
    ) {
        if buffer.isEmpty {
            buffer.append(UInt8(ascii: "{"))
        } else {
            buffer.append(UInt8(ascii: "]"))
            buffer.append(UInt8(ascii: ","))
        }
        appendString(name, to: &buffer)
        buffer.append(UInt8(ascii: ":"))
        buffer.append(UInt8(ascii: "["))
    }

    /// ``beginAttribute(_:in:)`` for a name held in an array.
    @inlinable
    public static func beginAttribute<Sink: ByteSink & ~Copyable>(_ name: [UInt8], in buffer: inout Sink) {
        name.withUnsafeBufferPointer { beginAttribute($0, in: &buffer) }
    }

    /// Appends `,` before a further value of the same attribute.
    @inlinable
    public static func nextValue<Sink: ByteSink & ~Copyable>(in buffer: inout Sink) {
        buffer.append(UInt8(ascii: ","))
    }

    /// Closes what ``beginAttribute(_:in:)`` opened: `]}`, or `{}` when no attribute was written.
    @inlinable
    public static func finish<Sink: ByteSink & ~Copyable>(_ buffer: inout Sink) {
        if buffer.isEmpty {
            buffer.append(UInt8(ascii: "{"))
            buffer.append(UInt8(ascii: "}"))
        } else {
            buffer.append(UInt8(ascii: "]"))
            buffer.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `bytes` (UTF-8) as a JSON string, quoted, escaped the one canonical way.
    @inlinable
    public static func appendString<Sink: ByteSink & ~Copyable>(
        _ bytes: UnsafeBufferPointer<UInt8>,
        to buffer: inout Sink
    ) {
        buffer.append(UInt8(ascii: "\""))
        if isPlain(bytes) {
            buffer.appendBytes(bytes)
        } else {
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    buffer.append(UInt8(ascii: "\\"))
                    buffer.append(byte)
                case 0x09:
                    buffer.append(UInt8(ascii: "\\"))
                    buffer.append(UInt8(ascii: "t"))
                case 0x0A:
                    buffer.append(UInt8(ascii: "\\"))
                    buffer.append(UInt8(ascii: "n"))
                case 0x0D:
                    buffer.append(UInt8(ascii: "\\"))
                    buffer.append(UInt8(ascii: "r"))
                case 0..<0x20:
                    let hex: StaticString = "0123456789abcdef"
                    for escape in "\\u00".utf8 { buffer.append(escape) }
                    buffer.append(hex.utf8Start[Int(byte >> 4)])
                    buffer.append(hex.utf8Start[Int(byte & 0x0F)])
                default: buffer.append(byte)
                }
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }

    /// Whether no byte of `bytes` needs escaping: none below 0x20, no `"`, no `\\`. Eight bytes at a time (issue 24):
    /// a byte's top bit in `(x - 0x0101…) & ~x` says it is zero (below 0x20 with `0x2020…`), borrows only ever
    /// following a byte that was, so the answer is exact; the bytes short of a word are looked at one by one.
    @inlinable
    static func isPlain(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let ones: UInt64 = 0x0101_0101_0101_0101
        var found: UInt64 = 0
        var i = 0
        while i + 8 <= bytes.count {
            let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            let quotes = word ^ (ones &* 0x22)
            let backslashes = word ^ (ones &* 0x5C)
            found |=
                ((word &- ones &* 0x20) & ~word) | ((quotes &- ones) & ~quotes) | ((backslashes &- ones) & ~backslashes)
            i += 8
        }
        if found & (ones &* 0x80) != 0 { return false }
        while i < bytes.count {
            let byte = base[i]
            if byte < 0x20 || byte == 0x22 || byte == 0x5C { return false }
            i += 1
        }
        return true
    }

    /// ``appendString(_:to:)`` for bytes held in an array.
    @inlinable
    public static func appendString<Sink: ByteSink & ~Copyable>(_ bytes: [UInt8], to buffer: inout Sink) {
        bytes.withUnsafeBufferPointer { appendString($0, to: &buffer) }
    }

    // MARK: Reading it back

    /// Decodes a stored attribute object; what is not in the canonical form yields what could be read before it.
    public static func decode(_ bytes: some Collection<UInt8>) -> [AAFAttribute] {
        var reader = Reader(Array(bytes))
        var result: [AAFAttribute] = []
        reader.forEachAttribute { name, reader in
            var values: [String] = []
            reader.forEachValue { values.append($0) }
            result.append(AAFAttribute(name: name, values: values))
            return true
        }
        return result
    }

    /// The values of attribute `name` in the stored form, without decoding the others (no allocation for them: the
    /// import asks this of every record's link attributes).
    public static func values(_ name: String, in bytes: [UInt8]) -> [String] {
        var reader = Reader(bytes)
        var found: [String] = []
        let key = Array(name.utf8)
        reader.forEachAttribute(matching: key) { reader in
            reader.forEachValue { found.append($0) }
        }
        return found
    }

    /// A forward reader of the canonical form (and of any JSON object of arrays of strings).
    struct Reader {
        let bytes: [UInt8]
        var i = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D {
                i += 1
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard i < bytes.count, bytes[i] == byte else { return false }
            i += 1
            return true
        }

        /// The bytes between a string's quotes, and whether any is escaped; nil when malformed. Allocates nothing.
        mutating func stringRange() -> (range: Range<Int>, escaped: Bool)? {
            guard take(AttributeCoding.quote) else { return nil }
            let start = i
            var escaped = false
            while i < bytes.count {
                let b = bytes[i]
                if b == AttributeCoding.quote {
                    i += 1
                    return (start..<(i - 1), escaped)
                }
                if b == AttributeCoding.backslash {
                    escaped = true
                    i += 1
                }
                i += 1
            }
            return nil
        }

        /// A string's text, unescaped.
        func text(_ range: Range<Int>, escaped: Bool) -> String {
            guard escaped else { return String(decoding: bytes[range], as: UTF8.self) }
            var out: [UInt8] = []
            var j = range.lowerBound
            while j < range.upperBound {
                let b = bytes[j]
                j += 1
                guard b == AttributeCoding.backslash, j < range.upperBound else {
                    out.append(b)
                    continue
                }
                let e = bytes[j]
                j += 1
                switch e {
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    guard j + 4 <= range.upperBound,
                        let code = UInt32(String(decoding: bytes[j..<(j + 4)], as: UTF8.self), radix: 16),
                        let scalar = Unicode.Scalar(code)
                    else { return String(decoding: out, as: UTF8.self) }
                    j += 4
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: out.append(e)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// Calls `body` with each attribute's name, the reader placed before its values; `body` reads them (with
        /// ``forEachValue(_:)``) and says whether to go on.
        mutating func forEachAttribute(_ body: (String, inout Reader) -> Bool) {
            guard take(UInt8(ascii: "{")) else { return }
            if take(UInt8(ascii: "}")) { return }
            repeat {
                guard let (range, escaped) = stringRange(), take(UInt8(ascii: ":")) else { return }
                guard body(text(range, escaped: escaped), &self) else { return }
            } while take(UInt8(ascii: ","))
        }

        /// Calls `body` with each attribute's key as stored (its bytes between the quotes, escapes left as they are:
        /// the link attributes' names have none), the reader placed before its values. `body` reads them and returns
        /// true, or returns false to have them skipped.
        mutating func forEachKey(_ body: (ArraySlice<UInt8>, inout Reader) -> Bool) {
            guard take(UInt8(ascii: "{")) else { return }
            if take(UInt8(ascii: "}")) { return }
            repeat {
                guard let (range, _) = stringRange(), take(UInt8(ascii: ":")) else { return }
                if !body(bytes[range], &self) {
                    guard skipValues() else { return }
                }
            } while take(UInt8(ascii: ","))
        }

        /// Calls `body` for the attribute named `key` (bytes, unescaped), skipping the others without decoding them.
        mutating func forEachAttribute(matching key: [UInt8], _ body: (inout Reader) -> Void) {
            guard take(UInt8(ascii: "{")) else { return }
            if take(UInt8(ascii: "}")) { return }
            repeat {
                guard let (range, escaped) = stringRange(), take(UInt8(ascii: ":")) else { return }
                let matches =
                    escaped ? Array(text(range, escaped: true).utf8) == key : bytes[range].elementsEqual(key)
                if matches { return body(&self) }
                guard skipValues() else { return }
            } while take(UInt8(ascii: ","))
        }

        /// Reads one array of strings, calling `body` with each.
        mutating func forEachValue(_ body: (String) -> Void) {
            guard take(UInt8(ascii: "[")) else { return }
            if take(UInt8(ascii: "]")) { return }
            repeat {
                guard let (range, escaped) = stringRange() else { return }
                body(text(range, escaped: escaped))
            } while take(UInt8(ascii: ","))
            _ = take(UInt8(ascii: "]"))
        }

        /// Reads one array of strings, calling `body` with each one's bytes, unescaped (no String made).
        mutating func forEachValueBytes(_ body: (ArraySlice<UInt8>) -> Void) {
            guard take(UInt8(ascii: "[")) else { return }
            if take(UInt8(ascii: "]")) { return }
            repeat {
                guard let (range, escaped) = stringRange() else { return }
                body(escaped ? ArraySlice(text(range, escaped: true).utf8) : bytes[range])
            } while take(UInt8(ascii: ","))
            _ = take(UInt8(ascii: "]"))
        }

        /// Passes over one array of strings; false when malformed.
        mutating func skipValues() -> Bool {
            guard take(UInt8(ascii: "[")) else { return false }
            if take(UInt8(ascii: "]")) { return true }
            repeat {
                guard stringRange() != nil else { return false }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "]"))
        }
    }
}
