import AAFModel

/// Limits the parser enforces on top of libxml2's own (10,000,000-byte text nodes, depth 256).
public struct ParserLimits: Sendable, Hashable {
    /// Largest `<value>` or `<id>` text, in bytes. AAF values are short; a huge text node is hostile.
    public var maxValueBytes: Int = 64 * 1024
    /// Most attributes in one record.
    public var maxAttributesPerRecord: Int = 512
    /// Most values in one attribute.
    public var maxValuesPerAttribute: Int = 4096
    /// Longest start tag, end tag, comment, declaration or processing instruction, in bytes (MarkupGuard). An AAF
    /// tag is tens of bytes, a header comment a few hundred.
    public var maxMarkupBytes: Int = 16 * 1024
    /// Largest record in its stored form, in bytes. A real record is a few KiB.
    public var maxRecordBytes: Int = 256 * 1024
    /// Most `key="value"` pairs kept from the header comments; beyond, the file is refused.
    public var maxHeaderFields: Int = 64

    public init() {}
}

/// Counters of one parse; names only, no values (R15).
public struct ParseStatistics: Sendable, Hashable {
    public var records: [RequestKind: Int] = [:]
    /// Attributes the filter dropped, by name (R1). Odd names are folded into `(invalid name)`.
    public var droppedAttributes: [String: Int] = [:]
    /// Literal `&apos;` sequences turned into `'` (double-escaped feeds).
    public var normalisedApostrophes: Int = 0
    /// Anomalies where an attribute says more than once what it may say once: a second `<attr>` of the same name
    /// in one record, or a second value of a single-valued attribute. The first wins everywhere (stored form,
    /// links, `person show`); the rest is counted here, by name (R15: AAF names only).
    public var repeatedAttributes: [String: Int] = [:]
    /// Bytes fed.
    public var bytes: Int = 0

    public init() {}
}
