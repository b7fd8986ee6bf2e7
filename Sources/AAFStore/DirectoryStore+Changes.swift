import AAFModel

/// The change feed (issue 12): what happened to each person and structure, in order, with a cursor that only grows.
/// Recorded by triggers (migration 9) inside the transaction that made the change; categories, jointures and
/// attribute names only, never a value (R15); purged with the journal (R11).
public struct ChangeFeedWindow: Sendable, Hashable {
    /// Changes after this cursor are still kept; a consumer whose cursor is below it must resync from the views.
    public var floor: Int
    /// The newest change's cursor (0 when none was ever recorded).
    public var current: Int
}

extension DirectoryStore {
    /// What the feed can still answer.
    public func changeFeedWindow() throws -> ChangeFeedWindow {
        let floor =
            try connection.scalarText("SELECT value FROM directory_state WHERE key = 'changes_floor'").flatMap {
                Int($0)
            } ?? 0
        let current = try connection.scalarInt("SELECT seq FROM sqlite_sequence WHERE name = 'changes'") ?? 0
        return ChangeFeedWindow(floor: floor, current: current)
    }

    /// The changes after `cursor`, oldest first, each as one JSON object: `cursor`, `recorded_at`, `extract_date`,
    /// `kind` (person, structure), `category`, `jointure`, `change` (created, updated, departed, reactivated,
    /// deleted, purged) and, for `updated`, `attributes` (the names whose values changed).
    /// - Returns: the last cursor handed over (`cursor` when none).
    @discardableResult
    public func changes(after cursor: Int, _ body: (String) throws -> Void) throws -> Int {
        let stmt = try connection.prepare(
            """
            SELECT seq, json_object('cursor', seq, 'recorded_at', recorded_at, 'extract_date', extract_date,
                'kind', kind, 'category', category, 'jointure', jointure, 'change', change,
                'attributes', json(attributes))
            FROM changes WHERE seq > ?1 ORDER BY seq
            """
        )
        try stmt.bind([.int(cursor)])
        var last = cursor
        while try stmt.step() {
            last = stmt.int(0)
            try body(stmt.text(1) ?? "{}")
        }
        return last
    }
}
