/// The registers' closed vocabularies (issue 22): each named once, as the convention names it. The database stores
/// the raw values; commands validate what administrators type against `allCases`.

/// A data subject's request (convention art. 7).
public enum RightsRequestKind: String, Sendable, CaseIterable {
    case access, rectification, erasure, opposition, restriction
    case postMortem = "post-mortem"
}

/// A security incident's kind (art. 6.1, 12).
public enum SecurityIncidentKind: String, Sendable, CaseIterable {
    case breach
    case suspectedBreach = "suspected-breach"
    case other
}

/// The risk to people of a security incident (GDPR art. 33): "unlikely", with a reason, stops the CNIL's clock.
public enum RiskLevel: String, Sendable, CaseIterable {
    case unknown, unlikely, likely, high
}

/// One clock of a security incident.
public struct SecurityDeadline: Sendable, Hashable, Encodable {
    /// `academy` or `cnil`.
    public var key: String
    public var what: String
    /// ISO 8601, UTC.
    public var due: String
    public var article: String

    public init(key: String, what: String, due: String, article: String) {
        (self.key, self.what, self.due, self.article) = (key, what, due, article)
    }
}
