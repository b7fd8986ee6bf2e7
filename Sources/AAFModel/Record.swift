/// The kind of request an AAF record is (aaf-format.md §8).
public enum RequestKind: String, Sendable, Hashable {
    case add = "addRequest"
    /// A full replace: attributes left out become empty.
    case modify = "modifyRequest"
    case delete = "deleteRequest"
}

/// One attribute of a record: its AAF name and its values, in order. An empty list means "no value".
public struct AAFAttribute: Sendable, Hashable {
    public var name: String
    public var values: [String]

    public init(name: String, values: [String]) {
        self.name = name
        self.values = values
    }
}

/// One request of an AAF file, after the allow-list was applied.
///
/// The attributes are held in their stored form (``AttributeCoding``): the parser writes those bytes directly,
/// so a record whose stored bytes are unchanged is recognised without creating a single String.
public struct AAFRecord: Sendable, Hashable {
    public var kind: RequestKind
    public var category: AAFCategory
    /// `identifier/id`: the jointure, opaque text.
    public var jointure: String
    /// Attributes kept, in file order, encoded. Empty for a delete.
    public var encoded: [UInt8]
    /// 1-based line of the request's start tag, for error messages.
    public var line: Int
    /// The links read ahead from the link attributes (the delivery reader does it on the parser's thread); nil:
    /// not read yet, the writer reads them.
    public var links: RecordLinks?

    public init(kind: RequestKind, category: AAFCategory, jointure: String, encoded: [UInt8], line: Int) {
        self.kind = kind
        self.category = category
        self.jointure = jointure
        self.encoded = encoded
        self.line = line
    }

    public init(kind: RequestKind, category: AAFCategory, jointure: String, attributes: [AAFAttribute], line: Int) {
        self.init(
            kind: kind,
            category: category,
            jointure: jointure,
            encoded: AttributeCoding.encode(attributes),
            line: line
        )
    }

    /// The attributes with at least one value, decoded, in file order.
    public var attributes: [AAFAttribute] { AttributeCoding.decode(encoded) }

    /// Values of the named attribute, or an empty list.
    public func values(_ name: String) -> [String] {
        AttributeCoding.values(name, in: encoded)
    }

    /// First non-empty value of the named attribute.
    public func first(_ name: String) -> String? {
        values(name).first(where: { !$0.isEmpty })
    }
}

/// Metadata comments of a document header (`<!-- degre="1D" -->`), aaf-format.md §2.
public struct DocumentHeader: Sendable, Hashable {
    public var fields: [String: String] = [:]

    public init(fields: [String: String] = [:]) {
        self.fields = fields
    }

    /// `degre`: `1D` or `2D` when present.
    public var degre: String? { fields["degre"] }
    /// `dateGenerationExport`, parsed from `dd/MM/yyyy`.
    public var generationDate: ExtractDate? { fields["dateGenerationExport"].flatMap { ExtractDate(aaf: $0) } }
    public var versionAF: String? { fields["versionAF"] }
}
