/// The stored form of a record's attributes: one canonical byte string per person or structure.
///
/// Attributes in file order; `name 0x1F value 0x1E value … 0x1D name …`. These control characters cannot
/// occur in XML 1.0 text, not even as character references, so the encoding is unambiguous, and "unchanged"
/// is a byte comparison: no checksum, no collision. AAF extracts are machine-written in a stable attribute
/// order; should the academy reorder attributes, each record is rewritten once with the same values
/// (an "updated" count, no data change), which costs time, never correctness (ADR 0004).
public enum AttributeCoding {
    public static let attributeSeparator: UInt8 = 0x1D
    public static let valueSeparator: UInt8 = 0x1E
    public static let nameSeparator: UInt8 = 0x1F

    /// Encodes into `buffer` (cleared first), reusing its storage.
    public static func encode(_ attributes: [AAFAttribute], into buffer: inout [UInt8]) {
        buffer.removeAll(keepingCapacity: true)
        // `<value/>`, an empty list and an absent attribute all mean "no value" (aaf-format.md §4):
        // empty values and attributes left with none are not stored, so the three compare equal.
        var first = true
        for attribute in attributes where attribute.values.contains(where: { !$0.isEmpty }) {
            if !first { buffer.append(attributeSeparator) }
            first = false
            buffer.append(contentsOf: attribute.name.utf8)
            buffer.append(nameSeparator)
            var firstValue = true
            for value in attribute.values where !value.isEmpty {
                if !firstValue { buffer.append(valueSeparator) }
                firstValue = false
                buffer.append(contentsOf: value.utf8)
            }
        }
    }

    /// Encodes into a new array.
    public static func encode(_ attributes: [AAFAttribute]) -> [UInt8] {
        var buffer: [UInt8] = []
        encode(attributes, into: &buffer)
        return buffer
    }

    /// Decodes a stored attribute string.
    public static func decode(_ bytes: some Collection<UInt8>) -> [AAFAttribute] {
        guard !bytes.isEmpty else { return [] }
        return bytes.split(separator: attributeSeparator, omittingEmptySubsequences: false).map { part in
            let pieces = part.split(separator: nameSeparator, maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(decoding: pieces[0], as: UTF8.self)
            guard pieces.count == 2, !pieces[1].isEmpty else { return AAFAttribute(name: name, values: []) }
            let values = pieces[1].split(separator: valueSeparator, omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            return AAFAttribute(name: name, values: values)
        }
    }

    /// The values of attribute `name` in encoded bytes, without decoding the others.
    public static func values(_ name: String, in bytes: [UInt8]) -> [String] {
        let key = Array(name.utf8)
        var start = 0
        let n = bytes.count
        while start < n {
            var end = start
            while end < n && bytes[end] != attributeSeparator { end += 1 }
            let k = key.count
            if end - start > k, bytes[start + k] == nameSeparator, bytes[start..<(start + k)].elementsEqual(key) {
                return bytes[(start + k + 1)..<end].split(separator: valueSeparator, omittingEmptySubsequences: false)
                    .map { String(decoding: $0, as: UTF8.self) }
            }
            start = end + 1
        }
        return []
    }
}
