/// A person record's links: its schools, guardians, classes and groups, functions and directorships, read from its
/// link attributes in one pass over the stored form (``AttributeCoding``).
///
/// The delivery reader reads them on the parser's thread (ADR 0003), so that the writer, the import's slower half,
/// only writes them (issue 24). A value that cannot be read (wrong field count…) is counted by attribute name, never
/// kept or shown (R15).
public struct RecordLinks: Sendable, Hashable {
    /// A value with its position in the attribute's list (unreadable values keep their place).
    public struct Positioned<Value: Sendable & Hashable>: Sendable, Hashable {
        public var position: Int
        public var value: Value
    }

    /// `ENTPersonStructRattach`: the schools' jointures.
    public var attachments: [String] = []
    /// `ENTEleveAutoriteParentale`: the guardians' jointures.
    public var guardians: [Positioned<String>] = []
    /// `ENTPersonClasses`, then `ENTPersonGroupes`.
    public var classes: [Membership] = []
    public var groups: [Membership] = []
    /// `ENTPersonFonctions`.
    public var functions: [Positioned<StaffFunction>] = []
    /// `ENTEnsFonctionDir`: the schools directed.
    public var directorships: [String] = []
    /// Unreadable values, by attribute name.
    public var skipped: [String: Int] = [:]

    /// The link attributes; the raw value is the AAF name.
    enum Attribute: String {
        case attachment = "ENTPersonStructRattach"
        case guardian = "ENTEleveAutoriteParentale"
        case classes = "ENTPersonClasses"
        case groups = "ENTPersonGroupes"
        case function = "ENTPersonFonctions"
        case directorship = "ENTEnsFonctionDir"

        /// The name's bytes, for comparing with the stored form's keys without decoding them.
        var key: [UInt8] { Array(rawValue.utf8) }
    }

    /// The link attributes of each category, with their names' bytes: only these are decoded.
    private static let attributes: [AAFCategory: [(attribute: Attribute, key: [UInt8])]] = [
        .pupil: [.attachment, .guardian, .classes, .groups].map { ($0, $0.key) },
        .staff: [.attachment, .function, .directorship].map { ($0, $0.key) },
    ]

    /// Whether a change feed's list of changed names (``AttributeCoding/changedNames(from:to:)``, a JSON array)
    /// names one of `category`'s link attributes: when it does not, the person's links are what they were.
    public static func namesTouchLinks(_ names: [UInt8], of category: AAFCategory) -> Bool {
        guard let attributes = RecordLinks.attributes[category] else { return false }
        return attributes.contains { attribute in
            let quoted = [AttributeCoding.quote] + attribute.key + [AttributeCoding.quote]
            return names.indices.contains { i in
                names.count - i >= quoted.count && names[i..<(i + quoted.count)].elementsEqual(quoted)
            }
        }
    }

    /// Reads the links of `record` (none for a guardian or a structure). The first occurrence of an attribute counts,
    /// as ``AAFRecord/values(_:)`` reads it.
    public init(_ record: AAFRecord) {
        guard let attributes = RecordLinks.attributes[record.category] else { return }
        var seen = [Bool](repeating: false, count: attributes.count)
        var fields: [Range<Int>] = []
        fields.reserveCapacity(8)
        var reader = AttributeCoding.Reader(record.encoded)
        reader.forEachKey { key, reader in
            guard let index = attributes.firstIndex(where: { key.elementsEqual($0.key) }), !seen[index] else {
                return false
            }
            seen[index] = true
            var position = 0
            reader.forEachValueBytes { value in
                add(value, position: position, of: attributes[index].attribute, fields: &fields)
                position += 1
            }
            return true
        }
    }

    /// Reads one value (``CompositeFields``: from its bytes where that reads the same), by its attribute's rule.
    private mutating func add(
        _ value: ArraySlice<UInt8>,
        position: Int,
        of attribute: Attribute,
        fields: inout [Range<Int>]
    ) {
        let readable = value.withUnsafeBufferPointer { bytes in
            CompositeFields.reading(bytes, ranges: &fields) { add($0, position: position, of: attribute) }
        }
        if !readable { skipped[attribute.rawValue, default: 0] += 1 }
    }

    /// Adds what the fields of one value say; false when the attribute's rule cannot read them.
    private mutating func add(_ fields: CompositeFields, position: Int, of attribute: Attribute) -> Bool {
        switch attribute {
        case .attachment, .directorship, .guardian:
            guard let structure = StructureReference.jointure(fields) else { return false }
            switch attribute {
            case .attachment: attachments.append(structure)
            case .directorship: directorships.append(structure)
            default: guardians.append(Positioned(position: position, value: structure))
            }
        case .classes, .groups:
            let kind: Membership.Kind = attribute == .classes ? .class : .group
            guard let membership = Membership(kind: kind, fields: fields) else { return false }
            if attribute == .classes { classes.append(membership) } else { groups.append(membership) }
        case .function:
            guard let function = StaffFunction(fields: fields) else { return false }
            functions.append(Positioned(position: position, value: function))
        }
        return true
    }
}

extension AAFRecord {
    /// Reads the links ahead into ``links`` when the record has any to write: a person's add or modify (a structure
    /// links nothing, a delete writes nothing).
    public mutating func readLinksAhead() {
        if kind != .delete, category != .structure { links = RecordLinks(self) }
    }
}
