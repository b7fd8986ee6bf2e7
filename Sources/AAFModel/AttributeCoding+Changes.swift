#if canImport(Glibc)
import Glibc
#endif

extension AttributeCoding {
    /// The names of the attributes whose values differ between two stored forms, for the change feed's `updated`
    /// rows (ADR 0020): as the JSON array SQLite's `json_group_array` makes of them, sorted by bytes (SQLite's
    /// BINARY order), each name once. nil when either form is not in the strict canonical shape this reads
    /// (`{"name":["value",…],…}`, no space, no control character in a string, no escape in a name): the caller then
    /// asks SQLite (`Migrations.changedAttributeNames`), which the result equals whenever it is not nil.
    ///
    /// What SQLite's `json_each` says, without parsing into nodes: a name of `new` is listed when `old` has no value
    /// for it or its first array there is other bytes (`json_each` renders an array as its stored text, spaces
    /// aside, and the strict shape has none); a name of `old` is listed when `new` lacks it. Allocates two small
    /// arrays of ranges and the answer.
    public static func changedNames(from old: UnsafeRawBufferPointer, to new: UnsafeRawBufferPointer) -> [UInt8]? {
        guard let before = entries(of: old), let after = entries(of: new) else { return nil }
        var names: [Range<Int>] = []
        for entry in after {
            let previous = before.first { equal(old, $0.name, new, entry.name) }
            if previous.map({ !equal(old, $0.values, new, entry.values) }) ?? true { names.append(entry.name) }
        }
        // Names of `new` are ranges of `new`; names of `old` that `new` lacks are kept apart, ranges of `old`.
        var gone: [Range<Int>] = []
        for entry in before where !after.contains(where: { equal(old, entry.name, new, $0.name) }) {
            gone.append(entry.name)
        }
        var all = names.map { (new, $0) } + gone.map { (old, $0) }
        all.sort { lexicographicallyPrecedes($0.0, $0.1, $1.0, $1.1) }
        var json: [UInt8] = [UInt8(ascii: "[")]
        var last: (UnsafeRawBufferPointer, Range<Int>)?
        for name in all {
            if let last, equal(last.0, last.1, name.0, name.1) { continue }  // UNION: each name once
            if last != nil { json.append(UInt8(ascii: ",")) }
            json.append(quote)
            json.append(contentsOf: name.0[name.1])
            json.append(quote)
            last = name
        }
        json.append(UInt8(ascii: "]"))
        return json
    }

    /// One attribute of a stored form: where its name is (between the quotes) and its array of values (brackets
    /// included).
    struct Entry {
        var name: Range<Int>
        var values: Range<Int>
    }

    /// The attributes of a stored form in the strict canonical shape, in order; nil for anything else.
    static func entries(of bytes: UnsafeRawBufferPointer) -> [Entry]? {
        var i = 0
        func next(_ byte: UInt8) -> Bool {
            guard i < bytes.count, bytes[i] == byte else { return false }
            i += 1
            return true
        }
        /// A string from its opening quote; nil with an escape in a name, a control character, or no closing quote.
        func string(isName: Bool) -> Range<Int>? {
            guard next(quote) else { return nil }
            let start = i
            while i < bytes.count {
                let byte = bytes[i]
                if byte == quote {
                    i += 1
                    return start..<(i - 1)
                }
                if byte < 0x20 || (byte == backslash && isName) { return nil }
                i += 1
                if byte == backslash {  // the escapes SQLite accepts; another is malformed JSON, SQLite's to report
                    guard i < bytes.count else { return nil }
                    switch bytes[i] {
                    case quote, backslash, UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"),
                        UInt8(ascii: "r"), UInt8(ascii: "t"):
                        i += 1
                    case UInt8(ascii: "u"):
                        guard i + 4 < bytes.count, (1...4).allSatisfy({ isHexDigit(bytes[i + $0]) }) else { return nil }
                        i += 5
                    default: return nil
                    }
                }
            }
            return nil
        }
        guard next(UInt8(ascii: "{")) else { return nil }
        var result: [Entry] = []
        if next(UInt8(ascii: "}")) { return i == bytes.count ? result : nil }
        repeat {
            guard let name = string(isName: true), next(UInt8(ascii: ":")) else { return nil }
            let start = i
            guard next(UInt8(ascii: "[")) else { return nil }
            if !next(UInt8(ascii: "]")) {
                repeat {
                    guard string(isName: false) != nil else { return nil }
                } while next(UInt8(ascii: ","))
                guard next(UInt8(ascii: "]")) else { return nil }
            }
            result.append(Entry(name: name, values: start..<i))
        } while next(UInt8(ascii: ","))
        guard next(UInt8(ascii: "}")), i == bytes.count else { return nil }
        return result
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }

    private static func equal(
        _ a: UnsafeRawBufferPointer,
        _ ra: Range<Int>,
        _ b: UnsafeRawBufferPointer,
        _ rb: Range<Int>
    ) -> Bool {
        ra.count == rb.count
            && (ra.isEmpty || memcmp(a.baseAddress! + ra.lowerBound, b.baseAddress! + rb.lowerBound, ra.count) == 0)
    }

    /// SQLite's BINARY order: the common prefix by bytes, then the shorter first.
    private static func lexicographicallyPrecedes(
        _ a: UnsafeRawBufferPointer,
        _ ra: Range<Int>,
        _ b: UnsafeRawBufferPointer,
        _ rb: Range<Int>
    ) -> Bool {
        let common = min(ra.count, rb.count)
        if common > 0 {
            let order = memcmp(a.baseAddress! + ra.lowerBound, b.baseAddress! + rb.lowerBound, common)
            if order != 0 { return order < 0 }
        }
        return ra.count < rb.count
    }
}
