import AAFModel

/// What one run (fetch + import, or one folder) came to: its ``Outcome`` (read through, `run.kind`,
/// `run.message`…) and what the run did besides.
@dynamicMemberLookup
public struct RunOutcome: Sendable {
    public var outcome: Outcome
    public var reports: [ImportReport] = []
    /// Remote files still owed a deletion after this run (R10); file names only.
    public var owedDeletions: [String] = []
    /// Owed deletions from earlier runs that this run completed.
    public var owedSettled = 0
    public var bytesDownloaded = 0
    public var duration = 0.0
    /// The change feed's cursor when the run began (for `[hooks] after_import`).
    public var changeCursorBefore: Int?

    public init(_ outcome: Outcome) {
        self.outcome = outcome
    }

    public subscript<T>(dynamicMember path: KeyPath<Outcome, T>) -> T { outcome[keyPath: path] }

    public subscript<T>(dynamicMember path: WritableKeyPath<Outcome, T>) -> T {
        get { outcome[keyPath: path] }
        set { outcome[keyPath: path] = newValue }
    }
}
