import AAFModel
import Foundation

/// One data subject's request (convention art. 7): who it concerns (a jointure), what kind, when it was received and
/// by whom, the deadline to forward it to the académie, and how it ended. Personal data itself: kept as long as
/// `[retention] requests_previous_years` says after it is closed, then purged and counted on certificates.
public struct RightsRequest: Sendable, Hashable, Codable {
    public var id: Int
    public var kind: String
    public var jointure: String
    public var receivedOn: ExtractDate
    @NullEncoded public var publisherReceivedOn: ExtractDate?
    public var receivedBy: String
    public var openedAt: String
    public var openedBy: String
    public var forwardDue: ExtractDate
    @NullEncoded public var forwardedOn: ExtractDate?
    @NullEncoded public var answerFile: String?
    @NullEncoded public var closedAt: String?
    @NullEncoded public var outcome: String?
    @NullEncoded public var closedBy: String?

    /// Open, not forwarded, and its forwarding deadline passed on `today`.
    public func isOverdue(on today: ExtractDate) -> Bool {
        closedAt == nil && forwardedOn == nil && today > forwardDue
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, jointure, outcome
        case receivedOn = "received_on"
        case publisherReceivedOn = "publisher_received_on"
        case receivedBy = "received_by"
        case openedAt = "opened_at"
        case openedBy = "opened_by"
        case forwardDue = "forward_due"
        case forwardedOn = "forwarded_on"
        case answerFile = "answer_file"
        case closedAt = "closed_at"
        case closedBy = "closed_by"
    }
}

/// A request ID that is not in the register, or not in a state the action needs.
public struct RequestRefused: Error, Sendable {
    public var message: String
}

/// The register of rights requests (convention art. 7): opened, forwarded, answered, closed; a restriction or an
/// opposition restricts the person while open. Over the store's one connection (`store.requests`).
public struct RightsRequestRegister {
    let store: DirectoryStore
    var connection: SQLiteConnection { store.connection }
    /// The kinds of request the convention names (art. 7): access, rectification, erasure, opposition,
    /// restriction, post-mortem directives.
    public static let kinds = RightsRequestKind.allCases.map(\.rawValue)
    /// Kinds that restrict processing while open: the person leaves every view the ENT reads.
    public static let restrictingKinds: Set<String> = ["restriction", "opposition"]

    /// Records a request; restricts the person at once when it is a restriction or an opposition.
    /// - Returns: its ID.
    public func open(
        kind: String,
        jointure: String,
        receivedOn: ExtractDate,
        publisherReceivedOn: ExtractDate?,
        receivedBy: String,
        forwardDue: ExtractDate,
        at: String,
        by: String
    ) throws -> Int {
        try connection.transaction {
            try store.setChangeContext("admin", extractDate: nil)
            try connection.prepare(
                """
                INSERT INTO rights_requests (kind, jointure, received_on, publisher_received_on, received_by,
                    opened_at, opened_by, forward_due) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                """
            ).run([
                .text(kind), .text(jointure), .text(receivedOn.iso), .optional(publisherReceivedOn?.iso),
                .text(receivedBy), .text(at), .text(by), .text(forwardDue.iso),
            ])
            let id = Int(connection.lastInsertRowID)
            try store.journalAdmin("request-open", jointure: jointure, by: by, at: at, detail: "request \(id) \(kind)")
            try store.syncRestrictions()
            return id
        }
    }

    /// Every request, newest first; only open ones with `openOnly`.
    public func list(openOnly: Bool = false, id: Int? = nil) throws -> [RightsRequest] {
        // Decoded by column name (``RowDecoder``): a missing column or a malformed date is an error, never a default.
        try connection.decoded(
            RightsRequest.self,
            """
            SELECT id, kind, jointure, received_on, publisher_received_on, received_by, opened_at, opened_by,
                forward_due, forwarded_on, answer_file, closed_at, outcome, closed_by
            FROM rights_requests WHERE (?1 = 0 OR closed_at IS NULL) AND (?2 IS NULL OR id = ?2) ORDER BY id DESC
            """,
            [.int(openOnly ? 1 : 0), id.map { .int($0) } ?? .null]
        )
    }

    /// Records that the request was forwarded to the académie (art. 7: within 8 days of its receipt).
    public func forward(_ id: Int, on day: ExtractDate, at: String, by: String) throws {
        try setOnOpenRequest(
            id,
            "forwarded_on",
            day.iso,
            action: "request-forward",
            detail: "forwarded \(day.iso)",
            at,
            by
        )
    }

    /// Links the access answer written by `person show --for-request` to the request.
    public func attachAnswer(_ id: Int, file: String, at: String, by: String) throws {
        try setOnOpenRequest(id, "answer_file", file, action: "request-answer", detail: "answer \(file)", at, by)
    }

    /// Sets one column of an open request and journals it, in one transaction.
    private func setOnOpenRequest(
        _ id: Int,
        _ column: String,
        _ value: String,
        action: String,
        detail: String,
        _ at: String,
        _ by: String
    ) throws {
        try connection.transaction {
            let request = try openRequest(id)
            try connection.prepare("UPDATE rights_requests SET \(column) = ?2 WHERE id = ?1").run([
                .int(id), .text(value),
            ])
            try store.journalAdmin(
                action,
                jointure: request.jointure,
                by: by,
                at: at,
                detail: "request \(id) \(detail)"
            )
        }
    }

    /// Closes a request with its outcome; lifts the restriction it carried, unless another open request keeps it.
    public func close(_ id: Int, outcome: String, at: String, by: String) throws {
        try connection.transaction {
            try store.setChangeContext("admin", extractDate: nil)
            let request = try openRequest(id)
            try connection.prepare(
                "UPDATE rights_requests SET closed_at = ?2, outcome = ?3, closed_by = ?4 WHERE id = ?1"
            ).run([.int(id), .text(at), .text(outcome), .text(by)])
            try store.journalAdmin(
                "request-close",
                jointure: request.jointure,
                by: by,
                at: at,
                detail: "request \(id) \(outcome)"
            )
            try store.syncRestrictions()
        }
    }

    /// Open requests whose forwarding deadline passed and whose alert has not run yet.
    public func overdueToAlert(today: ExtractDate) throws -> [RightsRequest] {
        let alerted = try Set(
            connection.rows("SELECT id FROM rights_requests WHERE alerted = 1 AND closed_at IS NULL") { $0.int(0) }
        )
        return try list(openOnly: true).filter { $0.isOverdue(on: today) && !alerted.contains($0.id) }
    }

    /// The alert for an overdue request ran: it does not run again for it.
    public func markAlerted(_ id: Int) throws {
        try connection.prepare("UPDATE rights_requests SET alerted = 1 WHERE id = ?1").run([.int(id)])
    }

    /// Whether the person is under an open restriction or opposition request.
    public func isRestricted(jointure: String) throws -> Bool {
        (try connection.scalarInt(
            """
            SELECT count(*) FROM rights_requests WHERE jointure = ?1 AND closed_at IS NULL
                AND kind IN ('restriction', 'opposition')
            """,
            [.text(jointure)]
        ) ?? 0) > 0
    }

    private func openRequest(_ id: Int) throws -> RightsRequest {
        guard let request = try list(id: id).first else {
            throw RequestRefused(message: "no request \(id) in the register (aafd request list)")
        }
        guard request.closedAt == nil else {
            throw RequestRefused(message: "request \(id) was closed on \(request.closedAt ?? "?")")
        }
        return request
    }
}
