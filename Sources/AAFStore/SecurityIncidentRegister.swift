import AAFModel
import AAFPolicy
import Foundation

/// A security incident (convention art. 6.1 and 12), kept in its own register: apart from the run journal and
/// its incidents (R19), never pruned with them; purged `[retention] security_incident_years` after its closure.
public struct SecurityIncident: Sendable, Hashable, Codable {
    public var id: Int
    public var kind: String
    /// When the commune learnt of it (ISO 8601, UTC): every clock starts there.
    public var knownAt: String
    public var declaredAt: String
    public var declaredBy: String
    @NullEncoded public var nature: String?
    @NullEncoded public var consequences: String?
    @NullEncoded public var measures: String?
    @NullEncoded public var contact: String?
    /// unknown, unlikely, likely, high: "unlikely" with a reason stops the CNIL's clock (art. 12, GDPR art. 33).
    public var risk: String
    @NullEncoded public var riskReason: String?
    @NullEncoded public var academyAlertedAt: String?
    @NullEncoded public var cnilNotifiedAt: String?
    @NullEncoded public var closedAt: String?

    enum CodingKeys: String, CodingKey {
        case id, kind, nature, consequences, measures, contact, risk
        case knownAt = "known_at"
        case declaredAt = "declared_at"
        case declaredBy = "declared_by"
        case riskReason = "risk_reason"
        case academyAlertedAt = "academy_alerted_at"
        case cnilNotifiedAt = "cnil_notified_at"
        case closedAt = "closed_at"
    }

    /// The clocks still running (``ConventionClocks/securityDeadlines``).
    public func openDeadlines() -> [SecurityDeadline] {
        guard let known = Timestamp.date(knownAt) else { return [] }
        return ConventionClocks.securityDeadlines(
            knownAt: known,
            kind: SecurityIncidentKind(rawValue: kind),
            risk: RiskLevel(rawValue: risk),
            riskReasonGiven: riskReason != nil,
            academyAlerted: academyAlertedAt != nil,
            cnilNotified: cnilNotifiedAt != nil,
            closed: closedAt != nil
        )
    }
}

/// The register of security incidents (convention art. 6.1, 12; issue 14) and their 48 h / 72 h clocks
/// (`store.securityIncidents`).
public struct SecurityIncidentRegister {
    let store: DirectoryStore
    var connection: SQLiteConnection { store.connection }
    public static let kinds = SecurityIncidentKind.allCases.map(\.rawValue)
    public static let riskLevels = RiskLevel.allCases.map(\.rawValue)

    /// Opens an incident in the register; journaled (who, when; no description).
    public func declare(
        kind: String,
        knownAt: String,
        nature: String?,
        at: String,
        by: String
    ) throws
        -> Int
    {
        try connection.transaction {
            try connection.prepare(
                """
                INSERT INTO security_incidents (kind, known_at, declared_at, declared_by, nature)
                VALUES (?1, ?2, ?3, ?4, ?5)
                """
            ).run([.text(kind), .text(knownAt), .text(at), .text(by), .optional(nature)])
            let id = Int(connection.lastInsertRowID)
            try store.journalAdmin(
                "security-declare",
                jointure: nil,
                by: by,
                at: at,
                detail: "security incident \(id) \(kind)"
            )
            return id
        }
    }

    /// Sets the fields given (nil: unchanged); journaled with the names of the fields changed.
    public func update(_ id: Int, fields: [String: String], at: String, by: String) throws {
        let allowed: Set<String> = [
            "nature", "consequences", "measures", "contact", "risk", "risk_reason", "academy_alerted_at",
            "cnil_notified_at",
        ]
        try connection.transaction {
            let incident = try incident(id)
            guard incident.closedAt == nil else {
                throw RequestRefused(message: "security incident \(id) was closed on \(incident.closedAt ?? "?")")
            }
            for (column, value) in fields.sorted(by: { $0.key < $1.key }) where allowed.contains(column) {
                try connection.prepare("UPDATE security_incidents SET \(column) = ?2 WHERE id = ?1").run([
                    .int(id), .text(value),
                ])
            }
            try store.journalAdmin(
                "security-update",
                jointure: nil,
                by: by,
                at: at,
                detail: "security incident \(id): " + fields.keys.sorted().joined(separator: ", ")
            )
        }
    }

    public func close(_ id: Int, at: String, by: String) throws {
        try connection.transaction {
            let incident = try incident(id)
            guard incident.closedAt == nil else {
                throw RequestRefused(message: "security incident \(id) was closed on \(incident.closedAt ?? "?")")
            }
            try connection.prepare("UPDATE security_incidents SET closed_at = ?2 WHERE id = ?1").run([
                .int(id), .text(at),
            ])
            try store.journalAdmin("security-close", jointure: nil, by: by, at: at, detail: "security incident \(id)")
        }
    }

    /// The register, newest first.
    /// Every incident of the register, newest first; rows decoded by column name (``RowDecoder``).
    public func list() throws -> [SecurityIncident] {
        try connection.decoded(
            SecurityIncident.self,
            """
            SELECT id, kind, known_at, declared_at, declared_by, nature, consequences, measures, contact, risk,
                risk_reason, academy_alerted_at, cnil_notified_at, closed_at
            FROM security_incidents ORDER BY id DESC
            """
        )
    }

    public func incident(_ id: Int) throws -> SecurityIncident {
        guard let incident = try list().first(where: { $0.id == id }) else {
            throw RequestRefused(message: "no security incident \(id) in the register (aafd incident list)")
        }
        return incident
    }

    /// Deadlines passed by `now` whose alert has not run yet.
    public func deadlinesToAlert(now: Date) throws -> [(SecurityIncident, SecurityDeadline)] {
        let alerted = try Dictionary(
            connection.rows("SELECT id, alerted FROM security_incidents WHERE closed_at IS NULL") {
                ($0.int(0), Set(($0.text(1) ?? "").split(separator: ",").map(String.init)))
            },
            uniquingKeysWith: { a, _ in a }
        )
        let nowText = Timestamp.string(now)
        return try list().flatMap { incident in
            incident.openDeadlines().filter { $0.due < nowText && !(alerted[incident.id] ?? []).contains($0.key) }
                .map { (incident, $0) }
        }
    }

    public func markDeadlineAlerted(_ id: Int, _ key: String) throws {
        try connection.prepare(
            "UPDATE security_incidents SET alerted = CASE alerted WHEN '' THEN ?2 ELSE alerted || ',' || ?2 END WHERE id = ?1"
        ).run([.int(id), .text(key)])
    }
}
