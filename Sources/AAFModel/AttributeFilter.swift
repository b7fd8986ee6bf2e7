/// Decides, while a file is parsed, which attributes of a record are kept (R1–R3).
///
/// The parser asks before it decodes any value, so a dropped attribute's values never become Swift strings
/// and never reach the store. Implementations must be cheap: the parser calls this for every attribute.
public protocol AttributeFilter: Sendable {
    /// Whether to keep attribute `name` of a record of `category` whose jointure is `jointure`.
    func keeps(_ name: String, category: AAFCategory, jointure: String) -> Bool
}
