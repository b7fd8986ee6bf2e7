import AAFModel

/// A remote file whose local copy is durable but which the server refused to delete (R10, annexe 4: files are
/// destroyed on the server once downloaded). aafd retries it on every run until it is deleted or gone.
public struct OwedRemoteDeletion: Sendable, Hashable, Codable {
    /// The delivery file name (no path, no personal data).
    public var name: String
    public var extractDate: ExtractDate
    /// When the first deletion failed.
    public var owedSince: String
    public var attempts: Int
    /// The server's answer to the last attempt.
    public var lastError: String

    /// The keys of `status --json`'s `remote_deletions_owed`.
    enum CodingKeys: String, CodingKey {
        case name
        case extractDate = "extract_date"
        case owedSince = "owed_since"
        case attempts
        case lastError = "last_error"
    }
}

extension DirectoryStore {
    /// The remote deletions still owed, oldest first.
    public func owedRemoteDeletions() throws -> [OwedRemoteDeletion] {
        let stmt = try connection.prepare(
            "SELECT name, extract_date, owed_since, attempts, last_error FROM remote_deletions ORDER BY owed_since, name"
        )
        var result: [OwedRemoteDeletion] = []
        while try stmt.step() {
            guard let date = stmt.text(1).flatMap({ ExtractDate(iso: $0) }) else { continue }
            result.append(
                OwedRemoteDeletion(
                    name: stmt.text(0) ?? "",
                    extractDate: date,
                    owedSince: stmt.text(2) ?? "",
                    attempts: stmt.int(3),
                    lastError: stmt.text(4) ?? ""
                )
            )
        }
        return result
    }

    /// Records (or counts another) failed deletion of `name`.
    public func oweRemoteDeletion(_ name: String, extractDate: ExtractDate, error: String, at: String) throws {
        try connection.prepare(
            """
            INSERT INTO remote_deletions (name, extract_date, owed_since, last_error) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT (name) DO UPDATE SET attempts = attempts + 1, last_error = excluded.last_error
            """
        ).run([.text(name), .text(extractDate.iso), .text(at), .text(error)])
    }

    /// The deletion of `name` is done (or the file is gone): nothing is owed any more.
    public func settleRemoteDeletion(_ name: String) throws {
        try connection.prepare("DELETE FROM remote_deletions WHERE name = ?1").run([.text(name)])
    }
}
