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

extension DirectoryStore {
    /// The kinds of request the convention names (art. 7): access, rectification, erasure, opposition,
    /// restriction, post-mortem directives.
    public static let requestKinds = RightsRequestKind.allCases.map(\.rawValue)
    /// Kinds that restrict processing while open: the person leaves every view the ENT reads.
    public static let restrictingKinds: Set<String> = ["restriction", "opposition"]

    /// Records a request; restricts the person at once when it is a restriction or an opposition.
    /// - Returns: its ID.
    public func openRequest(
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
            try setChangeContext("admin", extractDate: nil)
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
            try journalAdmin("request-open", jointure: jointure, by: by, at: at, detail: "request \(id) \(kind)")
            try syncRestrictions()
            return id
        }
    }

    /// Every request, newest first; only open ones with `openOnly`.
    public func requests(openOnly: Bool = false, id: Int? = nil) throws -> [RightsRequest] {
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
    public func forwardRequest(_ id: Int, on day: ExtractDate, at: String, by: String) throws {
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
            try journalAdmin(action, jointure: request.jointure, by: by, at: at, detail: "request \(id) \(detail)")
        }
    }

    /// Closes a request with its outcome; lifts the restriction it carried, unless another open request keeps it.
    public func closeRequest(_ id: Int, outcome: String, at: String, by: String) throws {
        try connection.transaction {
            try setChangeContext("admin", extractDate: nil)
            let request = try openRequest(id)
            try connection.prepare(
                "UPDATE rights_requests SET closed_at = ?2, outcome = ?3, closed_by = ?4 WHERE id = ?1"
            ).run([.int(id), .text(at), .text(outcome), .text(by)])
            try journalAdmin(
                "request-close",
                jointure: request.jointure,
                by: by,
                at: at,
                detail: "request \(id) \(outcome)"
            )
            try syncRestrictions()
        }
    }

    /// Open requests whose forwarding deadline passed and whose alert has not run yet.
    public func overdueRequestsToAlert(today: ExtractDate) throws -> [RightsRequest] {
        let alerted = try Set(
            connection.rows("SELECT id FROM rights_requests WHERE alerted = 1 AND closed_at IS NULL") { $0.int(0) }
        )
        return try requests(openOnly: true).filter { $0.isOverdue(on: today) && !alerted.contains($0.id) }
    }

    /// The alert for an overdue request ran: it does not run again for it.
    public func markRequestAlerted(_ id: Int) throws {
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

    /// Makes `persons.restricted` match the open restriction and opposition requests, inside the caller's
    /// transaction; the change feed's triggers record each change of state. After each request change, both ways;
    /// at the end of an import, only restricting (a restricted person the académie sends again is restricted
    /// again): only a request's closing lifts a restriction, and lifting scans every person.
    func syncRestrictions(lifting: Bool = true) throws {
        try connection.execute(
            """
            UPDATE persons SET restricted = 1 WHERE restricted = 0 AND jointure IN (SELECT jointure FROM rights_requests
                WHERE closed_at IS NULL AND kind IN ('restriction', 'opposition'))
            """
        )
        guard lifting else { return }
        try connection.execute(
            """
            UPDATE persons SET restricted = 0 WHERE restricted = 1 AND jointure NOT IN (SELECT jointure FROM
                rights_requests WHERE closed_at IS NULL AND kind IN ('restriction', 'opposition'))
            """
        )
    }

    private func openRequest(_ id: Int) throws -> RightsRequest {
        guard let request = try requests(id: id).first else {
            throw RequestRefused(message: "no request \(id) in the register (aafd request list)")
        }
        guard request.closedAt == nil else {
            throw RequestRefused(message: "request \(id) was closed on \(request.closedAt ?? "?")")
        }
        return request
    }

    /// Journals a read of personal data (issue 14, "who looked"): who, when, what (a jointure or a scope), why;
    /// never the values. Its own transaction; waits behind an import rather than fail.
    public func journalRead(_ action: String, jointure: String?, by: String, at: String, detail: String?) throws {
        setBusyTimeout(milliseconds: 60_000)
        defer { setBusyTimeout(milliseconds: 5000) }
        try connection.transaction { try journalAdmin(action, jointure: jointure, by: by, at: at, detail: detail) }
    }

    /// One administrator journal row (who, when, what; `detail` holds no value from the directory).
    func journalAdmin(_ action: String, jointure: String?, by: String, at: String, detail: String?) throws {
        try connection.prepare(
            "INSERT INTO admin_journal (at, action, jointure, recorded_by, detail) VALUES (?1, ?2, ?3, ?4, ?5)"
        ).run([.text(at), .text(action), .optional(jointure), .text(by), .optional(detail)])
    }
}

extension DirectoryStore {
    /// The census of an import (issue 14): active people by school (UAI, or the structure's jointure when it has
    /// none) and category, and each category's total under `*`. Guardians count at their pupils' schools. Counts
    /// only (R15); what a security incident's estimate of the people concerned is computed from. Inside the
    /// import's transaction; purged with the journal (R11).
    ///
    /// Recorded only when it differs from the last census: an unchanged re-import writes nothing (the last census
    /// still describes the directory).
    func recordCensus(runID: Int, finishedAt: String) throws {
        struct Row: Hashable {
            var uai: String
            var category: String
            var people: Int
        }
        // Counted once; stored only when different from the last census. Its GROUP BY sorters would add as much
        // memory as the page cache (measured at 100,000 pupils: +9 MB of peak RSS).
        let current = try connection.withSmallPageCache {
            try connection.rows(Self.censusSQL) {
                Row(uai: $0.text(0) ?? "", category: $0.text(1) ?? "", people: $0.int(2))
            }
        }
        let last = try connection.rows(
            "SELECT uai, category, people FROM census WHERE run_id = (SELECT max(run_id) FROM census)"
        ) { Row(uai: $0.text(0) ?? "", category: $0.text(1) ?? "", people: $0.int(2)) }
        guard Set(current) != Set(last) else { return }
        let insert = try connection.prepare(
            "INSERT INTO census (run_id, finished_at, uai, category, people) VALUES (?1, ?2, ?3, ?4, ?5)"
        )
        for row in current {
            try insert.run([.int(runID), .text(finishedAt), .text(row.uai), .text(row.category), .int(row.people)])
        }
    }

    /// Active people by school and category, and each category's total (`*`).
    static let censusSQL = """
        SELECT coalesce(s.uai, a.structure_jointure), p.category, count(DISTINCT p.id)
            FROM persons p JOIN attachments a ON a.person_id = p.id
            LEFT JOIN structures s ON s.jointure = a.structure_jointure
            WHERE p.departed_on IS NULL AND p.category <> 'PersRelEleve'
            GROUP BY coalesce(s.uai, a.structure_jointure), p.category
        UNION ALL
        SELECT coalesce(s.uai, a.structure_jointure), 'PersRelEleve', count(DISTINCT gp.id)
            FROM persons gp JOIN guardianships g ON g.guardian_jointure = gp.jointure
            JOIN persons p ON p.id = g.pupil_id AND p.departed_on IS NULL
            JOIN attachments a ON a.person_id = p.id
            LEFT JOIN structures s ON s.jointure = a.structure_jointure
            WHERE gp.category = 'PersRelEleve' AND gp.departed_on IS NULL
            GROUP BY coalesce(s.uai, a.structure_jointure)
        UNION ALL
        SELECT '*', category, count(*) FROM persons WHERE departed_on IS NULL GROUP BY category
        """

    /// The census of the last import finished at or before `instant` (ISO 8601 UTC), and that import's end; nil
    /// when no import had finished by then.
    public func census(
        atOrBefore instant: String
    ) throws -> (finishedAt: String, rows: [(uai: String, category: String, people: Int)])? {
        guard
            let finished = try connection.scalarText(
                "SELECT max(finished_at) FROM census WHERE finished_at <= ?1",
                [.text(instant)]
            )
        else { return nil }
        let rows = try connection.rows(
            "SELECT uai, category, people FROM census WHERE finished_at = ?1 ORDER BY uai, category",
            [.text(finished)]
        ) { row in (uai: row.text(0) ?? "", category: row.text(1) ?? "", people: row.int(2)) }
        return (finished, rows)
    }
}

/// One row of the administrator journal: an action, who, when, on whom (a jointure, or none for a scope), and a
/// detail that holds no value from the directory.
public struct AdminJournalEntry: Sendable, Hashable, Encodable {
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

extension DirectoryStore {
    /// The journal's actions that read personal data (issue 14, "who looked").
    public static let readActions = ["read-person", "export", "export-all"]

    /// Administrator journal rows with these actions, newest first.
    public func adminJournal(actions: [String], limit: Int) throws -> [AdminJournalEntry] {
        let list = actions.map { "'\($0.replacingOccurrences(of: "'", with: "''"))'" }.joined(separator: ", ")
        return try connection.rows(
            "SELECT at, action, jointure, recorded_by, detail FROM admin_journal WHERE action IN (\(list)) ORDER BY id DESC LIMIT ?1",
            [.int(limit)]
        ) { row in
            AdminJournalEntry(
                at: row.text(0) ?? "",
                action: row.text(1) ?? "",
                jointure: row.text(2),
                recordedBy: row.text(3) ?? "",
                detail: row.text(4)
            )
        }
    }
}

extension DirectoryStore {
    /// Records the effective settings (JSON of name → value) and their hash; when they differ from the last
    /// recorded, journals `settings-changed` with the hash and the names that changed (values stay in
    /// `directory_state` only: paths, host names, delays, no personal data).
    /// - Returns: the names that changed; empty on the first record or when nothing changed.
    public func recordSettings(_ json: String, hash: String, at: String) throws -> [String] {
        try connection.transaction {
            let previous = try connection.scalarText("SELECT value FROM directory_state WHERE key = 'settings'")
            let previousHash = try connection.scalarText(
                "SELECT value FROM directory_state WHERE key = 'settings_hash'"
            )
            guard previousHash != hash else { return [] }
            for (key, value) in [("settings", json), ("settings_hash", hash)] {
                try connection.prepare(
                    "INSERT INTO directory_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2"
                ).run([.text(key), .text(value)])
            }
            guard let previous,
                let old = try? JSONSerialization.jsonObject(with: Data(previous.utf8)) as? [String: String],
                let new = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String]
            else {
                try journalAdmin("settings-recorded", jointure: nil, by: "aafd", at: at, detail: "hash \(hash)")
                return []
            }
            let changed = Set(old.keys).union(new.keys).filter { old[$0] != new[$0] }.sorted()
            try journalAdmin(
                "settings-changed",
                jointure: nil,
                by: "aafd",
                at: at,
                detail: "hash \(hash); changed: " + changed.joined(separator: ", ")
            )
            return changed
        }
    }
}
