import AAFModel

/// The stored form of a record's attributes: one canonical byte string per person or structure.
///
/// Attributes sorted by name; `name 0x1F value 0x1E value … 0x1D name …`. These control characters cannot
/// occur in XML 1.0 text, not even as character references, so the encoding is unambiguous. Canonical order
/// makes "unchanged" a byte comparison: no checksum, no collision.
public enum AttributeCoding {
    static let attributeSeparator: UInt8 = 0x1D
    static let valueSeparator: UInt8 = 0x1E
    static let nameSeparator: UInt8 = 0x1F

    /// Encodes into `buffer` (cleared first), reusing its storage.
    public static func encode(_ attributes: [AAFAttribute], into buffer: inout [UInt8]) {
        buffer.removeAll(keepingCapacity: true)
        // `<value/>`, an empty list and an absent attribute all mean "no value" (aaf-format.md §4):
        // empty values and attributes left with none are not stored, so the three compare equal.
        let sorted = attributes.count < 2 ? attributes : attributes.sorted { $0.name < $1.name }
        var first = true
        for attribute in sorted where attribute.values.contains(where: { !$0.isEmpty }) {
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
}
