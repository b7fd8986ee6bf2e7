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
public struct AAFRecord: Sendable, Hashable {
    public var kind: RequestKind
    public var category: AAFCategory
    /// `identifier/id`: the jointure, opaque text.
    public var jointure: String
    /// Attributes kept, in file order. Empty for a delete.
    public var attributes: [AAFAttribute]
    /// 1-based line of the request's start tag, for error messages.
    public var line: Int

    public init(kind: RequestKind, category: AAFCategory, jointure: String, attributes: [AAFAttribute], line: Int) {
        self.kind = kind
        self.category = category
        self.jointure = jointure
        self.attributes = attributes
        self.line = line
    }

    /// Values of the named attribute, or an empty list.
    public func values(_ name: String) -> [String] {
        attributes.first(where: { $0.name == name })?.values ?? []
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
