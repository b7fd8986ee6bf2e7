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

    /// The link attributes of each category: only these are decoded.
    public static let attributes: [AAFCategory: [String]] = [
        .pupil: ["ENTPersonStructRattach", "ENTEleveAutoriteParentale", "ENTPersonClasses", "ENTPersonGroupes"],
        .staff: ["ENTPersonStructRattach", "ENTPersonFonctions", "ENTEnsFonctionDir"],
        .guardian: [],
        .structure: [],
    ]

    /// Their names' bytes, for comparing with the stored form's keys without decoding them.
    private static let keys: [AAFCategory: [[UInt8]]] = attributes.mapValues { $0.map { Array($0.utf8) } }

    public init() {}

    /// Reads the links of `record` (none for a guardian or a structure). The first occurrence of an attribute counts,
    /// as ``AAFRecord/values(_:)`` reads it.
    public init(_ record: AAFRecord) {
        guard let keys = RecordLinks.keys[record.category], !keys.isEmpty else { return }
        let names = RecordLinks.attributes[record.category] ?? []
        var seen = [Bool](repeating: false, count: keys.count)
        var reader = AttributeCoding.Reader(record.encoded)
        reader.forEachKey { key, reader in
            guard let index = keys.firstIndex(where: { key.elementsEqual($0) }), !seen[index] else { return false }
            seen[index] = true
            var position = 0
            reader.forEachValue { value in
                add(value, position: position, of: names[index])
                position += 1
            }
            return true
        }
    }

    private mutating func add(_ value: String, position: Int, of name: String) {
        var readable = true
        switch name {
        case "ENTPersonStructRattach", "ENTEnsFonctionDir":
            if let structure = StructureReference.jointure(value) {
                if name == "ENTPersonStructRattach" {
                    attachments.append(structure)
                } else {
                    directorships.append(structure)
                }
            } else {
                readable = false
            }
        case "ENTEleveAutoriteParentale":
            if let guardian = GuardianReference.jointure(value) {
                guardians.append(Positioned(position: position, value: guardian))
            } else {
                readable = false
            }
        case "ENTPersonClasses", "ENTPersonGroupes":
            let isClass = name == "ENTPersonClasses"
            if let membership = Membership(kind: isClass ? .class : .group, value: value) {
                if isClass { classes.append(membership) } else { groups.append(membership) }
            } else {
                readable = false
            }
        case "ENTPersonFonctions":
            if let function = StaffFunction(value: value) {
                functions.append(Positioned(position: position, value: function))
            } else {
                readable = false
            }
        default:
            return
        }
        if !readable { skipped[name, default: 0] += 1 }
    }
}
