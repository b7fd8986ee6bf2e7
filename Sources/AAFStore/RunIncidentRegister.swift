import AAFModel

/// An incident (R19): a failed or refused run, open until the next successful import. No personal data: outcome,
/// rule, extract date and a reason naming files and lines only.
public struct Incident: Sendable, Hashable, Decodable {
    public var id: Int
    public var openedAt: String
    public var closedAt: String?
    public var outcome: String
    public var rule: String?
    public var extractDate: ExtractDate?
    public var reason: String
    public var alerted: Bool

    enum CodingKeys: String, CodingKey {
        case id, outcome, rule, reason, alerted
        case openedAt = "opened_at"
        case closedAt = "closed_at"
        case extractDate = "extract_date"
    }
}

/// The run incidents of R19: one open at a time, alerted once, closed by the run that fixes it (`store.incidents`).
public struct RunIncidentRegister {
    let store: DirectoryStore
    var connection: SQLiteConnection { store.connection }
    /// The open incident, if any.
    public func open() throws -> Incident? {
        try incidents(where: "closed_at IS NULL", limit: 1).first
    }

    private func incidents(where condition: String, limit: Int) throws -> [Incident] {
        // Decoded by column name (``RowDecoder``): a missing column or a malformed date is an error.
        try connection.decoded(
            Incident.self,
            "SELECT id, opened_at, closed_at, outcome, rule, extract_date, reason, alerted FROM incidents WHERE \(condition) ORDER BY id DESC LIMIT ?1",
            [.int(limit)]
        )
    }

    /// Opens an incident unless one is open already; returns the open incident and whether it is new.
    public func raise(
        outcome: String,
        rule: String?,
        extractDate: ExtractDate?,
        reason: String,
        at: String
    ) throws -> (Incident, isNew: Bool) {
        try connection.transaction {
            if let open = try open() { return (open, false) }
            try connection.prepare(
                "INSERT INTO incidents (opened_at, outcome, rule, extract_date, reason) VALUES (?1, ?2, ?3, ?4, ?5)"
            ).run([.text(at), .text(outcome), .optional(rule), .optional(extractDate?.iso), .text(reason)])
            return (try open()!, true)
        }
    }

    /// Marks the incident's alert as sent (so that it runs once).
    public func markAlerted(_ id: Int) throws {
        try connection.prepare("UPDATE incidents SET alerted = 1 WHERE id = ?1").run([.int(id)])
    }

    /// Closes the open incident after a successful import; returns it.
    @discardableResult
    public func close(at: String) throws -> Incident? {
        guard let open = try open() else { return nil }
        try connection.prepare("UPDATE incidents SET closed_at = ?2 WHERE id = ?1").run([.int(open.id), .text(at)])
        return open
    }
}
