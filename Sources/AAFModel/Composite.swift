/// `$`-separated composite values (aaf-format.md §6): split, keep empty fields, switch on the field count.
public enum Composite {
    /// The fields of a composite value, empty ones kept.
    public static func fields(_ value: String) -> [Substring] {
        value.split(separator: "$", omittingEmptySubsequences: false)
    }

    /// `-` means "none" in function composites.
    static func orNil(_ field: Substring) -> String? {
        let trimmed = field.trimmingCharacters(in: " ")
        return trimmed.isEmpty || trimmed == "-" ? nil : trimmed
    }
}

/// A composite value's fields, read once: the one input of the composites' rules (``Membership``,
/// ``StaffFunction``, the references), whichever way the value was read. From its UTF-8 bytes when that gives the
/// fields its Characters give (``Composite/byteFields(_:into:)``: Strings are made only for the fields kept; issue
/// 24, the import reads every link value), from its Characters otherwise. Used inside the call that made it.
public struct CompositeFields {
    private let bytes: UnsafeBufferPointer<UInt8>?
    private let ranges: [Range<Int>]
    private let characters: [Substring]

    /// The number of fields, empty ones included.
    public var count: Int { bytes == nil ? characters.count : ranges.count }

    /// Field `index` without its edge spaces; nil when that is empty or `-` ("none").
    public func trimmed(_ index: Int) -> String? {
        guard let bytes else { return Composite.orNil(characters[index]) }
        return Composite.trimmed(bytes, ranges[index]).map { Composite.text(bytes, $0) }
    }

    /// Field `index` as it is.
    public func raw(_ index: Int) -> String {
        guard let bytes else { return String(characters[index]) }
        return Composite.text(bytes, ranges[index])
    }

    /// The fields of `value`, read by Character.
    public static func reading<Result>(_ value: String, _ body: (CompositeFields) -> Result) -> Result {
        body(CompositeFields(bytes: nil, ranges: [], characters: Composite.fields(value)))
    }

    /// The fields of the UTF-8 `value`: by byte where that reads the same, else by Character. `ranges` is reused
    /// storage for the byte ranges.
    public static func reading<Result>(
        _ value: UnsafeBufferPointer<UInt8>,
        ranges: inout [Range<Int>],
        _ body: (CompositeFields) -> Result
    ) -> Result {
        guard Composite.byteFields(value, into: &ranges) else {
            return reading(String(decoding: value, as: UTF8.self), body)
        }
        return body(CompositeFields(bytes: value, ranges: ranges, characters: []))
    }
}

/// A class or group membership: `ENTPersonClasses` / `ENTPersonGroupes`, 5 fields; [0] school jointure,
/// [3] class or group id, [4] label.
public struct Membership: Sendable, Hashable, Encodable {
    public enum Kind: String, Sendable { case `class`, group }
    public var kind: Kind
    public var structure: String
    public var code: String
    public var label: String

    /// The kind is where the membership is listed (`classes` or `groups`), not one of its fields.
    private enum CodingKeys: String, CodingKey { case structure, code, label }

    public init(kind: Kind, structure: String, code: String, label: String) {
        self.kind = kind
        self.structure = structure
        self.code = code
        self.label = label
    }

    /// Nil when the value does not have 5 fields or lacks a school or code (the caller counts it).
    public init?(kind: Kind, value: String) {
        guard let membership = CompositeFields.reading(value, { Membership(kind: kind, fields: $0) }) else {
            return nil
        }
        self = membership
    }

    /// The same rule over fields however read.
    public init?(kind: Kind, fields f: CompositeFields) {
        guard f.count == 5, let structure = f.trimmed(0), let code = f.trimmed(3) else { return nil }
        self.init(kind: kind, structure: structure, code: code, label: f.raw(4))
    }
}

/// A staff function: `ENTPersonFonctions`, `structure$functionCode$functionLabel$positionCode$positionLabel`.
public struct StaffFunction: Sendable, Hashable, Encodable {
    public var structure: String
    @NullEncoded public var functionCode: String?
    @NullEncoded public var functionLabel: String?
    @NullEncoded public var positionCode: String?
    @NullEncoded public var positionLabel: String?

    public init(
        structure: String,
        functionCode: String?,
        functionLabel: String?,
        positionCode: String?,
        positionLabel: String?
    ) {
        self.structure = structure
        self.functionCode = functionCode
        self.functionLabel = functionLabel
        self.positionCode = positionCode
        self.positionLabel = positionLabel
    }

    private enum CodingKeys: String, CodingKey {
        case structure
        case functionCode = "function_code"
        case functionLabel = "function_label"
        case positionCode = "position_code"
        case positionLabel = "position_label"
    }

    /// Nil when the value does not have 5 fields or names no structure (the caller counts it).
    public init?(value: String) {
        guard let function = CompositeFields.reading(value, { StaffFunction(fields: $0) }) else { return nil }
        self = function
    }

    /// The same rule over fields however read.
    public init?(fields f: CompositeFields) {
        guard f.count == 5, let structure = f.trimmed(0) else { return nil }
        self.init(
            structure: structure,
            functionCode: f.trimmed(1),
            functionLabel: f.trimmed(2),
            positionCode: f.trimmed(3),
            positionLabel: f.trimmed(4)
        )
    }
}

/// The guardian a pupil's `ENTEleveAutoriteParentale` value points to: field [0], a PersRelEleve jointure.
public enum GuardianReference {
    public static func jointure(_ value: String) -> String? {
        CompositeFields.reading(value, StructureReference.jointure)
    }
}

/// A structure reference (`ENTPersonStructRattach`, `ENTEnsFonctionDir`): field [0] of the value. The guardian
/// reference is the same rule.
public enum StructureReference {
    public static func jointure(_ value: String) -> String? { CompositeFields.reading(value, jointure) }

    /// The same rule over fields however read.
    public static func jointure(_ fields: CompositeFields) -> String? { fields.trimmed(0) }
}

extension Substring {
    func trimmingCharacters(in character: Character) -> String {
        var s = self
        while s.first == character { s = s.dropFirst() }
        while s.last == character { s = s.dropLast() }
        return String(s)
    }
}

// MARK: - The same fields, read from bytes

extension Composite {
    /// The fields of a composite value held as UTF-8 bytes, as byte ranges, when reading bytes gives the fields
    /// ``fields(_:)`` gives by `Character`: no byte of a multi-byte character touches a `$` or a space. A `$` or a
    /// space between two ASCII bytes is a `Character` of its own (Unicode's grapheme rules join two ASCII
    /// characters only as CR LF); a combining mark after it, or a prepended mark before it, would join them.
    /// False otherwise: the caller reads the value as a String. Issue 24: the import reads every link value.
    static func byteFields(_ bytes: UnsafeBufferPointer<UInt8>, into ranges: inout [Range<Int>]) -> Bool {
        ranges.removeAll(keepingCapacity: true)
        let count = bytes.count
        var start = 0
        for i in 0..<count {
            let b = bytes[i]
            guard b == 0x24 || b == 0x20 else { continue }
            if i > 0, bytes[i - 1] >= 0x80 { return false }
            if i + 1 < count, bytes[i + 1] >= 0x80 { return false }
            if b == 0x24 {
                ranges.append(start..<i)
                start = i + 1
            }
        }
        ranges.append(start..<count)
        return true
    }

    /// ``orNil(_:)`` on bytes checked by ``byteFields(_:into:)``: the field without its edge spaces, nil when that
    /// is empty or `-`.
    static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int>? {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, bytes[lower] == 0x20 { lower += 1 }
        while upper > lower, bytes[upper - 1] == 0x20 { upper -= 1 }
        if lower == upper || (upper - lower == 1 && bytes[lower] == 0x2D) { return nil }
        return lower..<upper
    }

    static func text(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
