import AAFModel

/// An incident (R19): a failed or refused run, open until the next successful import. No personal data: outcome,
/// rule, extract date and a reason naming files and lines only.
public struct Incident: Sendable, Hashable {
    public var id: Int
    public var openedAt: String
    public var closedAt: String?
    public var outcome: String
    public var rule: String?
    public var extractDate: ExtractDate?
    public var reason: String
    public var alerted: Bool
}

extension DirectoryStore {
    /// The open incident, if any.
    public func openIncident() throws -> Incident? {
        try incidents(where: "closed_at IS NULL", limit: 1).first
    }

    private func incidents(where condition: String, limit: Int) throws -> [Incident] {
        try connection.rows(
            "SELECT id, opened_at, closed_at, outcome, rule, extract_date, reason, alerted FROM incidents WHERE \(condition) ORDER BY id DESC LIMIT ?1",
            [.int(limit)]
        ) { row in
            Incident(
                id: row.int(0),
                openedAt: row.text(1) ?? "",
                closedAt: row.text(2),
                outcome: row.text(3) ?? "",
                rule: row.text(4),
                extractDate: row.text(5).flatMap { ExtractDate(iso: $0) },
                reason: row.text(6) ?? "",
                alerted: row.int(7) != 0
            )
        }
    }

    /// Opens an incident unless one is open already; returns the open incident and whether it is new.
    public func raiseIncident(
        outcome: String,
        rule: String?,
        extractDate: ExtractDate?,
        reason: String,
        at: String
    ) throws -> (Incident, isNew: Bool) {
        try connection.transaction {
            if let open = try openIncident() { return (open, false) }
            try connection.prepare(
                "INSERT INTO incidents (opened_at, outcome, rule, extract_date, reason) VALUES (?1, ?2, ?3, ?4, ?5)"
            ).run([.text(at), .text(outcome), .optional(rule), .optional(extractDate?.iso), .text(reason)])
            return (try openIncident()!, true)
        }
    }

    /// Marks the incident's alert as sent (so that it runs once).
    public func markAlerted(_ id: Int) throws {
        try connection.prepare("UPDATE incidents SET alerted = 1 WHERE id = ?1").run([.int(id)])
    }

    /// Closes the open incident after a successful import; returns it.
    @discardableResult
    public func closeIncident(at: String) throws -> Incident? {
        guard let open = try openIncident() else { return nil }
        try connection.prepare("UPDATE incidents SET closed_at = ?2 WHERE id = ?1").run([.int(open.id), .text(at)])
        return open
    }
}
