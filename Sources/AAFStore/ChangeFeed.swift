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

/// The change feed the ENT follows (Docs/ent-interface.md): its window of cursors, its records, the entries
/// changed since a cursor (`store.changeFeed`).
public struct ChangeFeed {
    let store: DirectoryStore
    var connection: SQLiteConnection { store.connection }
    /// What the feed can still answer.
    public func window() throws -> ChangeFeedWindow {
        let floor =
            try connection.scalarText("SELECT value FROM directory_state WHERE key = 'changes_floor'").flatMap {
                Int($0)
            } ?? 0
        let current = try connection.scalarInt("SELECT seq FROM sqlite_sequence WHERE name = 'changes'") ?? 0
        return ChangeFeedWindow(floor: floor, current: current)
    }

    /// What changed after `cursor`, once per entry, in the order of their first change: the entry (`kind`,
    /// `category`, `jointure`) and whether it was active at the cursor (its first change says). What it is now, the
    /// caller reads from the views: the two give the net effect (an LDIF change file).
    public func changedEntries(
        after cursor: Int
    ) throws -> [(kind: String, category: String, key: String, wasActive: Bool)] {
        try connection.rows(
            """
            -- SQLite's min() aggregate takes the bare columns from the row with the smallest seq: the first change.
            SELECT kind, category, jointure, was_active, min(seq) FROM changes WHERE seq > ?1
            GROUP BY kind, category, jointure ORDER BY min(seq)
            """,
            [.int(cursor)]
        ) { row in (row.text(0) ?? "", row.text(1) ?? "", row.text(2) ?? "", row.int(3) != 0) }
    }

    /// The changes after `cursor`, oldest first, each as one JSON object: `cursor`, `recorded_at`, `extract_date`,
    /// `kind` (person, structure), `category`, `jointure`, `change` (created, updated, departed, reactivated,
    /// deleted, purged) and, for `updated`, `attributes` (the names whose values changed).
    /// - Returns: the last cursor handed over (`cursor` when none).
    @discardableResult
    public func records(after cursor: Int, _ body: (String) throws -> Void) throws -> Int {
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
