import AAFModel
import Foundation

/// One row of the administrator journal: an action, who, when, on whom (a jointure, or none for a scope), and a
/// detail that holds no value from the directory.
public struct AdminJournalEntry: Sendable, Hashable, Codable {
    public var at: String
    public var action: String
    @NullEncoded public var jointure: String?
    public var recordedBy: String
    @NullEncoded public var detail: String?

    enum CodingKeys: String, CodingKey {
        case at, action, jointure, detail
        case recordedBy = "recorded_by"
    }
}

/// The administrator journal (R11, issue 14): who did or read what, when; never a value (`store.adminJournal`).
public struct AdminJournal {
    let store: DirectoryStore
    var connection: SQLiteConnection { store.connection }
    /// The journal's actions that read personal data (issue 14, "who looked").
    public static let readActions = ["read-person", "export", "export-all"]

    /// Administrator journal rows with these actions, newest first.
    public func entries(actions: [String], limit: Int) throws -> [AdminJournalEntry] {
        let list = actions.map { "'\($0.replacingOccurrences(of: "'", with: "''"))'" }.joined(separator: ", ")
        return try connection.decoded(
            AdminJournalEntry.self,
            "SELECT at, action, jointure, recorded_by, detail FROM admin_journal WHERE action IN (\(list)) ORDER BY id DESC LIMIT ?1",
            [.int(limit)]
        )
    }

    /// Journals a read of personal data (issue 14, "who looked"): who, when, what (a jointure or a scope), why;
    /// never the values. Its own transaction; waits behind an import rather than fail.
    public func recordRead(_ action: String, jointure: String?, by: String, at: String, detail: String?) throws {
        store.setBusyTimeout(milliseconds: 60_000)
        defer { store.setBusyTimeout(milliseconds: 5000) }
        try connection.transaction {
            try store.journalAdmin(action, jointure: jointure, by: by, at: at, detail: detail)
        }
    }

    /// Records an export in the administrator journal (R13): who, when, the format, the categories, the count and
    /// the output; never a value.
    public func recordExport(detail: String, recordedBy: String, at: String) throws {
        store.setBusyTimeout(milliseconds: 60_000)  // behind an import's transaction, wait rather than fail
        defer { store.setBusyTimeout(milliseconds: 5000) }
        try connection.prepare(
            "INSERT INTO admin_journal (at, action, recorded_by, detail) VALUES (?1, 'export', ?2, ?3)"
        ).run([.text(at), .text(recordedBy), .text(detail)])
    }

    /// The files and folders aafd wrote outside its database, as the journal recorded them (issue 23): `export
    /// --output` files and `export-all` folders, by absolute path, with their journal row's id, oldest first.
    public func recordedOutputs() throws -> [(id: Int, path: String)] {
        var seen = Set<String>()
        return try connection.rows(
            "SELECT id, detail FROM admin_journal WHERE action IN ('export', 'export-all') ORDER BY id"
        ) { row -> (Int, String?) in (row.int(0), row.text(1)) }
        .compactMap { id, detail -> (id: Int, path: String)? in
            guard let detail, let start = detail.range(of: "output=") else { return nil }
            var path = String(detail[start.upperBound...])
            if let end = path.range(of: " reason: ") { path = String(path[..<end.lowerBound]) }
            guard path.hasPrefix("/"), OutsideText.isPlain(path), seen.insert(path).inserted else { return nil }
            return (id, path)
        }
    }
}
