import AAFDigest
import AAFModel
import Foundation

/// Classes and groups in the change feed: a writer takes a snapshot of every group's active members before it
/// changes anything, and records, before its commit, which groups appeared, disappeared or changed members (kind
/// `group`, category `class` or `group`, jointure `<structure jointure>$<code>`). An LDAP directory follows them
/// (`aafd changes --format ldif`) without knowing the memberships aafd rewrote.
extension DirectoryStore {
    /// Every active member of every group, in SQLite's BINARY order of (kind, structure, code, member): one sort,
    /// where a `GROUP BY` over the sorted rows sorted them again (issue 24: about 4 MB more at the peak of an import
    /// of 500,000 pupils that changed groups).
    static let groupMembers = """
        SELECT m.kind, m.structure_jointure, m.code, p.jointure FROM memberships m
            JOIN persons p ON p.id = m.person_id AND p.departed_on IS NULL ORDER BY 1, 2, 3, 4
        """

    /// The creations of the current writer (rows above the ids its change context noted), recorded at its end: a
    /// trigger per inserted row doubled a first import's time. The time is read once per statement (a subquery): the
    /// same instant as `strftime` per row gives, without formatting it 240,000 times. In statements of at most
    /// ``creationBatch`` rows, each in id order: a statement's journal (in memory during an import,
    /// `beginWithStatementJournalsInMemory`) holds the pages it reuses from the free list, so its size is bounded by
    /// the batch, not by the delivery.
    func recordCreations() throws {
        for (table, kind, category) in [
            ("structures", "structure", "'\(AAFCategory.structure.entName)'"),
            ("persons", "person", AAFCategory.entNameSQL("category")),
        ] {
            let before = try connection.scalarInt("SELECT \(table)_before FROM change_context WHERE id = 1") ?? 0
            let last = try connection.scalarInt("SELECT COALESCE(max(id), 0) FROM \(table)") ?? 0
            let insert = try connection.prepare(
                """
                INSERT INTO changes (recorded_at, extract_date, kind, category, jointure, change, attributes, was_active)
                SELECT (SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), (SELECT extract_date FROM change_context WHERE id = 1),
                    '\(kind)', \(category), jointure, 'created', NULL, 0
                FROM \(table) WHERE id > ?1 AND id <= ?2 ORDER BY id
                """
            )
            for start in stride(from: before, to: last, by: Self.creationBatch) {
                try insert.run([.int(start), .int(min(start + Self.creationBatch, last))])
            }
        }
    }

    /// Creations recorded per statement (`recordCreations`).
    static let creationBatch = 20_000

    /// Every group's active members, read inside the writer's transaction: a signature per group, the SHA-256 of
    /// its sorted member list. Only whether a group's members changed is compared, never who they are, so the
    /// snapshot a writer holds through its work grows with the number of groups, not of pupils (issue 24: it held
    /// every member list, about 5 MB at 500,000 pupils). Keyed by the group's bytes, as SQLite groups them: two codes
    /// that differ only by Unicode normalisation are two groups, where a String key merged them.
    func groupSnapshot() throws -> GroupSnapshot {
        var result: GroupSnapshot = [:]
        try forEachGroupSignature { group, digest in result[group.compacted] = digest }
        return result
    }

    /// Calls `body` with every group that has an active member and its signature (the SHA-256 of its members'
    /// jointures in order, joined by commas), in SQLite's BINARY order of (kind, structure, code),
    /// ``GroupIdentity/precedes(_:_:)``'s. The group is read into a value that is overwritten: `body` copies what it
    /// keeps.
    private func forEachGroupSignature(_ body: (GroupIdentity, SHA256Digest) throws -> Void) throws {
        // Sorting every membership would take the sorter's own memory on top of the page cache.
        try connection.withSmallPageCache {
            let stmt = try connection.prepare(Self.groupMembers)
            var (row, group) = (GroupIdentity(), GroupIdentity())
            var digest: SHA256Hasher?  // 32 bytes in the value: the hex form took 96 more on the heap
            while try stmt.step() {
                row.read(stmt, from: 0)
                if let open = digest, row == group {
                    Self.comma.withUnsafeBytes { open.update($0) }
                } else {
                    if let open = digest { try body(group, open.finalizeDigest()) }
                    swap(&row, &group)
                    digest = SHA256Hasher()
                }
                stmt.withBlob(3) { digest?.update($0) }  // the jointure's bytes as SQLite holds them, no String made
            }
            if let open = digest { try body(group, open.finalizeDigest()) }
        }
    }

    private static let comma: [UInt8] = [UInt8(ascii: ",")]

    /// Records, before the writer's commit, the groups that appeared, disappeared or changed members since
    /// `before` (its snapshot), in SQLite's order: nothing when none did.
    func recordGroupChanges(since before: GroupSnapshot) throws {
        if before.isEmpty {
            // No group before (a first import): every group now is created; no member list is needed. The groups
            // are gathered here, a few thousand keys, rather than by a DISTINCT sorter over every membership that
            // spilled to a file to keep the peak down (issue 24: 0.24 s at the end of a first import of 100,000
            // pupils).
            try recordCreatedGroups()
            return
        }
        // The groups now, read in the order the events are recorded in, merged with the snapshot's sorted keys: no
        // second snapshot, and no union of both, held at once (issue 24).
        let old = before.keys.sorted(by: GroupIdentity.precedes)
        var next = old.startIndex
        let insert = try GroupChangeInsert(connection)
        try forEachGroupSignature { group, digest in
            while next < old.endIndex, GroupIdentity.precedes(old[next], group) {
                try insert.run(old[next], "deleted", wasActive: true)
                next += 1
            }
            guard next < old.endIndex, old[next] == group else {
                return try insert.run(group, "created", wasActive: false)
            }
            if before[group] != digest { try insert.run(group, "updated", wasActive: true) }
            next += 1
        }
        for group in old[next...] { try insert.run(group, "deleted", wasActive: true) }
    }
}

/// Each group's signature (the SHA-256 of its sorted active members), by the group's bytes.
typealias GroupSnapshot = [GroupIdentity: SHA256Digest]

/// The statement that records one group event; the jointure is `<structure jointure>$<code>`.
private struct GroupChangeInsert {
    let statement: Statement

    init(_ connection: SQLiteConnection) throws {
        statement = try connection.prepare(
            """
            INSERT INTO changes (recorded_at, extract_date, kind, category, jointure, change, attributes, was_active)
            VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), (SELECT extract_date FROM change_context WHERE id = 1),
                'group', ?1, ?2 || '$' || ?3, ?4, NULL, ?5)
            """
        )
    }

    /// Binds the group's three fields as they are: a String decoded from valid UTF-8 gives SQLite the same bytes.
    func run(_ group: GroupIdentity, _ change: String, wasActive: Bool) throws {
        try statement.run(
            group.fields.map { .text(String(decoding: $0, as: UTF8.self)) } + [.text(change), .int(wasActive ? 1 : 0)]
        )
    }
}

/// A class or group, as the change feed names it, by its bytes: SQLite tells `é` from `e` and a combining accent
/// apart, where Swift's String equality would merge them. Its three fields (kind, structure, code) in one array,
/// each after its length (4 bytes, so that fields cannot run into one another): one allocation per group and
/// none per membership read, where three arrays per membership (and a fourth to hash them) took 3.9 MB that the
/// heap kept, and most of the step's time, at the end of a first import of 500,000 pupils (issue 24).
struct GroupIdentity: Hashable {
    private(set) var bytes: [UInt8] = []

    /// Reads the group of `row`'s three columns from `first` (kind, structure, code) into this value's own
    /// storage.
    mutating func read(_ row: Statement, from first: Int32) {
        bytes.removeAll(keepingCapacity: true)
        for column in first...(first + 2) {
            row.withBlob(column) { field in
                let count = UInt32(field.count)
                for shift in stride(from: 0, to: 32, by: 8) {
                    bytes.append(UInt8(truncatingIfNeeded: count >> shift))
                }
                bytes.append(contentsOf: field)
            }
        }
    }

    /// The same group in storage of its own size: `read` grows its array by doubling, and a key that a snapshot
    /// keeps for a whole import should not keep that slack.
    var compacted: GroupIdentity {
        var copy = GroupIdentity()
        copy.bytes = [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, count in
            count = buffer.initialize(fromContentsOf: bytes)
        }
        return copy
    }

    /// The three fields, in order.
    var fields: [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var at = bytes.startIndex
        while let field = Self.field(in: bytes, at: at) {
            result.append(bytes[field])
            at = field.upperBound
        }
        return result
    }

    /// The field that starts (with its length) at `at` in `bytes`; nil at the end.
    private static func field<C: RandomAccessCollection<UInt8>>(in bytes: C, at: C.Index) -> Range<C.Index>?
    where C.Index == Int {
        guard at + 4 <= bytes.endIndex else { return nil }
        let count = (0..<4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) }
        return (at + 4)..<(at + 4 + count)
    }

    /// SQLite's BINARY order on (kind, structure, code): each field's bytes, then its length. Nothing allocated:
    /// the fields of 18,000 groups as arrays, to sort them, were the peak of a first import of 500,000 pupils.
    static func precedes(_ a: GroupIdentity, _ b: GroupIdentity) -> Bool {
        a.bytes.withUnsafeBufferPointer { x in
            b.bytes.withUnsafeBufferPointer { y in
                var (i, j) = (0, 0)
                while let f = field(in: x, at: i), let g = field(in: y, at: j) {
                    if !x[f].elementsEqual(y[g]) { return x[f].lexicographicallyPrecedes(y[g]) }
                    (i, j) = (f.upperBound, g.upperBound)
                }
                return false
            }
        }
    }

    /// The bytes at once: an array's own hashing feeds the hasher one byte at a time.
    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

extension DirectoryStore {
    /// Records every group that active people are members of as created. Who is active comes from the state index
    /// (`activePeople`), not from each member's row.
    fileprivate func recordCreatedGroups() throws {
        var active = Bitmap()
        for category in [AAFCategory.pupil, .staff, .guardian] { _ = try activePeople(category, into: &active) }
        let memberships = try connection.prepare("SELECT person_id, kind, structure_jointure, code FROM memberships")
        var groups = Set<GroupIdentity>()
        var group = GroupIdentity()
        while try memberships.step() {
            guard active.contains(memberships.int(0)) else { continue }
            group.read(memberships, from: 1)
            groups.insert(group)  // a group already in the set leaves `group`'s storage its own, to be reused
        }
        let insert = try GroupChangeInsert(connection)
        for group in groups.sorted(by: GroupIdentity.precedes) { try insert.run(group, "created", wasActive: false) }
    }
}
