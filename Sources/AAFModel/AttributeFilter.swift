/// What the filter says of an attribute name in a category, before any record is seen.
public enum AttributeDecision: Sendable, Hashable {
    case keep
    case drop
    /// Depends on the record's jointure (R2: a staff home address with consent): ask ``AttributeFilter/keeps(_:category:jointure:)``.
    case perRecord
}

/// Decides, while a file is parsed, which attributes of a record are kept (R1–R3).
///
/// The parser asks before it decodes any value, so a dropped attribute's values never become Swift strings
/// and never reach the store. The parser caches ``decision(for:category:)`` per name and category, and
/// calls ``keeps(_:category:jointure:)`` only for names whose decision is `.perRecord`.
public protocol AttributeFilter: Sendable {
    /// The decision for a name in a category, independent of the record.
    func decision(for name: String, category: AAFCategory) -> AttributeDecision
    /// Whether to keep attribute `name` of a record of `category` whose jointure is `jointure`.
    func keeps(_ name: String, category: AAFCategory, jointure: String) -> Bool
}

extension AttributeFilter {
    public func decision(for name: String, category: AAFCategory) -> AttributeDecision { .perRecord }
}
