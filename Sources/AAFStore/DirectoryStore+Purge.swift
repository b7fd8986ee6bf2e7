import AAFDigest
import AAFModel
import Foundation

/// What one purge removed, by rule and category. Counts only (R13, R15).
public struct PurgeResult: Sendable, Hashable {
    /// rule ID → category report key → count.
    public var counts: [String: [String: Int]] = [:]
    /// Whether the deleted values are gone from the database files too (R12); false when a reader kept the
    /// checkpoint from completing within `erasure_wait_seconds`.
    public var erasureComplete = true
    public var total: Int { counts.values.flatMap(\.values).reduce(0, +) }
    public init() {}
}

/// One deletion record of the R13 chain.
public struct PurgeRecord: Sendable, Hashable, Encodable {
    public var id: Int
    public var purgedOn: ExtractDate
    public var executedAt: String
    public var rule: String
    /// category report key → count, as stored (JSON, sorted keys): what the hash covers.
    public var countsJSON: String
    /// The same counts, decoded.
    public var counts: [String: Int]
    public var prevHash: String
    public var hash: String
    /// False while the deleted values may still be in the database files (R12): a reader held the database.
    public var erased = true

    /// The form of `certificate --json`'s records: the counts as an object, not as the stored text.
    enum CodingKeys: String, CodingKey {
        case id
        case purgedOn = "purged_on"
        case executedAt = "executed_at"
        case rule, counts, hash, erased
    }

    /// The hash a record must have: SHA-256 over its fields and the previous hash.
    public static func hash(prev: String, purgedOn: String, executedAt: String, rule: String, counts: String) -> String
    {
        SHA256Hasher.hex([prev, purgedOn, executedAt, rule, counts].joined(separator: "\u{1F}"))
    }
}

/// The result of checking the chain of deletion records.
public struct ChainVerification: Sendable, Hashable {
    public var ok: Bool
    public var records: Int
    /// The chain's head hash now: printed on each certificate, to be checked by the next one.
    public var head: String = ""
    /// What is wrong, by record id; empty when ok.
    public var problems: [String]
}

extension DirectoryStore {
    /// Runs the purge in one transaction: R6 (pupils), R7 (guardians), R8 (staff), R9 (two-year cap), R11 (journal);
    /// writes one chained deletion record per rule that removed something (R13); then truncates the WAL (R12).
    ///
    /// - Parameter dryRun: the same deletions, in the same order, then rolled back: the counts are exactly what a
    ///   purge would delete (a pupil deleted by R6 is not counted again by R9; a guardian left without pupils by
    ///   R6 is counted under R7). Nothing is deleted or recorded.
    public func purge(
        _ b: PurgePlan,
        executedAt: String,
        dryRun: Bool,
        alsoRecord: [String: [String: Int]] = [:],
        keepingJournalRows kept: Set<Int> = []
    ) throws -> PurgeResult {
        var result = PurgeResult()
        result.counts = alsoRecord
        try connection.execute("BEGIN IMMEDIATE")
        do {
            try setChangeContext("purge", extractDate: nil)
            let before = b.departedBefore.iso
            let onOrBefore = b.departedOnOrBefore?.iso ?? "0000-00-00"
            // R6, R7, R8: departed people past their purge date.
            for (rule, category) in [("R6", AAFCategory.pupil), ("R7", .guardian)] {
                let n = try deletePersons(
                    "category = ?1 AND departed_on IS NOT NULL AND (departed_on < ?2 OR departed_on <= ?3)",
                    [.text(category.rawValue), .text(before), .text(onOrBefore)]
                )
                if n > 0 { result.counts[rule, default: [:]][category.reportKey] = n }
            }
            let staff = try deletePersons("category = 'PersEducNat' AND departed_on IS NOT NULL", [])
            if staff > 0 { result.counts["R8", default: [:]][AAFCategory.staff.reportKey] = staff }
            // R9, per record: a person last listed by the académie two years ago or more goes. An active record
            // was listed by the last Complet (else it would have departed) or, since, by a Delta (`listed_on`);
            // a departed one was last listed before it departed.
            let cap = b.receivedOnOrBefore.iso
            let lastComplet =
                try connection.scalarText("SELECT value FROM directory_state WHERE key = 'last_complet'") ?? ""
            // An active record's date is the later of its own listing and the last Complet: none is due while the
            // last Complet is within the cap, which is the usual case; the queries then read the index on
            // (category, departed_on) only, not every row (issue 24).
            let activeDue = lastComplet <= cap
            // Classes and groups change only when R9 removes active pupils (the others left them already).
            let activeR9 =
                try activeDue
                && connection.scalarInt(
                    """
                    SELECT EXISTS (SELECT 1 FROM persons WHERE category = 'Eleve' AND departed_on IS NULL
                        AND max(COALESCE(listed_on, ''), ?2) <= ?1)
                    """,
                    [.text(cap), .text(lastComplet)]
                ) == 1
            let groupsBefore = activeR9 ? try groupSnapshot() : nil
            for category in [AAFCategory.pupil, .staff, .guardian] {
                let n = try deletePersons(
                    activeDue
                        ? """
                        category = ?1 AND ((departed_on IS NOT NULL AND departed_on <= ?2)
                            OR (departed_on IS NULL AND max(COALESCE(listed_on, ''), ?3) <= ?2))
                        """
                        : "category = ?1 AND departed_on IS NOT NULL AND departed_on <= ?2",
                    activeDue
                        ? [.text(category.rawValue), .text(cap), .text(lastComplet)]
                        : [.text(category.rawValue), .text(cap)]
                )
                if n > 0 { result.counts["R9", default: [:]][category.reportKey] = n }
            }
            if let groupsBefore { try recordGroupChanges(since: groupsBefore) }
            // R4 after the above: a departed guardian no pupil references any more goes with the last one (R7).
            let orphans = try deletePersons(
                "category = 'PersRelEleve' AND departed_on IS NOT NULL AND NOT EXISTS (SELECT 1 FROM guardianships g WHERE g.guardian_jointure = persons.jointure)",
                []
            )
            if orphans > 0 { result.counts["R7", default: [:]][AAFCategory.guardian.reportKey, default: 0] += orphans }
            // R2: consents go with the person.
            let consents = try forgetConsentsOfDeparted()
            if consents > 0 { result.counts["R2", default: [:]]["consents"] = consents }
            // R11: aafd's own journal.
            let journalBefore = b.journalBefore.iso
            var journal = 0
            for (table, condition) in [
                ("import_runs", "finished_at < ?1"),
                // An export's row stays while its file does (issue 23): decommission finds it there; it holds a
                // path and counts, no personal data.
                ("admin_journal", "at < ?1 AND id NOT IN (\(kept.sorted().map(String.init).joined(separator: ",")))"),
                ("incidents", "closed_at IS NOT NULL AND closed_at < ?1"),
            ] {
                journal += try deleteRows(table, condition, [.text(journalBefore)])
            }
            // The census goes with the journal, but the last one stays: it describes the directory until the next.
            let census = try deleteRows(
                "census",
                "finished_at < ?1 AND run_id < (SELECT max(run_id) FROM census)",
                [.text(journalBefore)]
            )
            if census > 0 { result.counts["R11", default: [:]]["census"] = census }
            journal += try prunePurgeRecords(before: journalBefore, asOf: b.asOf, executedAt: executedAt)
            // The DPO's registers (issue 14), each after its own delay from closure.
            let requests = try deleteRows(
                "rights_requests",
                "closed_at IS NOT NULL AND closed_at < ?1",
                [.text(b.requestsClosedBefore.iso)]
            )
            if requests > 0 { result.counts["art7-register", default: [:]]["requests"] = requests }
            let incidents = try deleteRows(
                "security_incidents",
                "closed_at IS NOT NULL AND closed_at < ?1",
                [.text(b.securityIncidentsClosedBefore.iso)]
            )
            if incidents > 0 { result.counts["art12-register", default: [:]]["security incidents"] = incidents }
            // The change feed keeps its window only (issue 23: a person gone leaves no jointure in it past the
            // window, R8); its floor says which cursors can no longer be followed. Rows are in time order: every
            // row before the first one still in the window goes, found from the start of the table and deleted by
            // cursor, so a purge with nothing to drop reads one row, not the whole feed (issue 24). A clock that went
            // back keeps a few older rows until the next purge.
            let firstKept = try connection.scalarInt(
                "SELECT seq FROM changes WHERE recorded_at >= ?1 ORDER BY seq LIMIT 1",
                [.text(b.feedBefore.iso)]
            )
            let lastGone =
                try firstKept.map {
                    try connection.scalarInt("SELECT max(seq) FROM changes WHERE seq < ?1", [.int($0)])
                }
                ?? connection.scalarInt("SELECT max(seq) FROM changes")
            var changes = 0
            if let lastGone {
                try connection.prepare(
                    """
                    INSERT INTO directory_state (key, value) VALUES ('changes_floor', ?1)
                    ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))
                    """
                ).run([.int(lastGone)])
                changes = try deleteRows("changes", "seq <= ?1", [.int(lastGone)])
            }
            if changes > 0 { result.counts["R11", default: [:]]["changes"] = changes }
            if journal > 0 { result.counts["R11", default: [:]]["journal"] = journal }

            if dryRun {
                try connection.execute("ROLLBACK")
                return result
            }
            for (rule, counts) in result.counts.sorted(by: { $0.key < $1.key }) {
                try appendPurgeRecord(purgedOn: b.asOf, executedAt: executedAt, rule: rule, counts: counts)
            }
            // The kept counts (issue 24), when people went: every deletion of a person is counted above by category.
            let people = Set(AAFCategory.importOrder.map(\.reportKey))
            if result.counts.values.contains(where: { $0.contains { people.contains($0.key) && $0.value > 0 } }) {
                try recount()
            }
            try connection.execute("COMMIT")
        } catch {
            if connection.inTransaction { try? connection.execute("ROLLBACK") }
            throw error
        }
        // R12: nothing purged may be read back from the WAL or the database file.
        result.erasureComplete = try completeErasure()
        return result
    }

    /// People go in batches of ``purgeBatch``: before it deletes anything, a DELETE whose rows fire triggers
    /// and cascades gathers every row id it will remove, so one statement over the whole directory held them all
    /// (issue 24: about 16 MB for the 657,000 guardians of a purge of everything at 500,000 pupils). The same rows
    /// go, in the same transaction; only the memory stays flat. Each batch reads its condition's index from the
    /// start again: rows deleted are gone from it, so only the rows it passes over without deleting are read again
    /// by each batch, which happens when R9 reaches active people (no Complet for two years) and only some are due.
    private func deletePersons(_ condition: String, _ bindings: [SQLValue]) throws -> Int {
        let stmt = try connection.prepare(
            "DELETE FROM persons WHERE id IN (SELECT id FROM persons WHERE \(condition) LIMIT \(Self.purgeBatch))"
        )
        var total = 0
        while true {
            try stmt.run(bindings)
            let deleted = connection.changes
            total += deleted
            if deleted < Self.purgeBatch { return total }
        }
    }

    /// How many people one deletion statement of the purge removes at most.
    public static let purgeBatch = 10_000

    private func deleteRows(_ table: String, _ condition: String, _ bindings: [SQLValue]) throws -> Int {
        let stmt = try connection.prepare("DELETE FROM \(table) WHERE \(condition)")
        try stmt.run(bindings)
        return connection.changes
    }

    /// The rule of a pruning marker: the totals of deletion records R11 removed, kept on the chain (issue 23).
    public static let pruningRule = "R11-pruning"

    /// R11 for the deletion records themselves: records older than the journal's window go; the chain keeps the
    /// hash of the last one removed as its new anchor, so verification still holds, and a pruning marker (issue 23):
    /// one record, rule ``pruningRule``, whose counts are the removed records' totals by rule (`"R8 staff"`; an
    /// earlier marker's totals carried over), their number (`records`) and the last day one was executed
    /// (`pruned_through`, as YYYYMMDD), so a certificate for a pruned period says so and its totals stay provable.
    /// The marker is dated like the purge that wrote it, and is itself pruned (and carried over) a window later.
    private func prunePurgeRecords(before: String, asOf: ExtractDate, executedAt: String) throws -> Int {
        let stmt = try connection.prepare(
            "SELECT id, hash, rule, counts, executed_at FROM purge_records WHERE purged_on < ?1 ORDER BY id"
        )
        try stmt.bind([.text(before)])
        var last: (id: Int, hash: String)?
        var count = 0
        var totals: [String: Int] = [:]
        var boundary = ""
        while try stmt.step() {
            last = (stmt.int(0), stmt.text(1) ?? "")
            count += 1
            let rule = stmt.text(2) ?? ""
            let counts = JournalJSON.value([String: Int].self, from: stmt.text(3), otherwise: [:])
            for (key, value) in counts {
                if key == "pruned_through" {
                    totals[key] = max(totals[key] ?? 0, value)
                    continue
                }
                let total = rule == Self.pruningRule ? key : "\(rule) \(key)"
                totals[total, default: 0] += value
            }
            if rule != Self.pruningRule { totals["records", default: 0] += 1 }
            boundary = max(boundary, String((stmt.text(4) ?? "").prefix(10)))
        }
        guard let last else { return count }
        try connection.prepare("DELETE FROM purge_records WHERE id <= ?1").run([.int(last.id)])
        try connection.prepare("UPDATE purge_chain SET anchor_hash = ?1, records = records - ?2").run([
            .text(last.hash), .int(count),
        ])
        if let day = ExtractDate(iso: boundary) {
            totals["pruned_through"] = max(totals["pruned_through"] ?? 0, Int(day.compact) ?? 0)
        }
        try appendPurgeRecord(purgedOn: asOf, executedAt: executedAt, rule: Self.pruningRule, counts: totals)
        return count
    }

    /// The newest pruning marker (``pruningRule``) and the last day a record it removed was executed.
    public func lastPruning() throws -> (marker: PurgeRecord, through: ExtractDate)? {
        guard let marker = try purgeRecords(from: nil, to: nil).last(where: { $0.rule == Self.pruningRule }),
            let through = marker.counts["pruned_through"].flatMap({ ExtractDate(compact: String($0)) })
        else { return nil }
        return (marker, through)
    }

    /// A deletion done outside the database (an access answer, issue 23) recorded on the chain like the others (R13),
    /// in its own transaction.
    public func recordDeletions(purgedOn: ExtractDate, executedAt: String, rule: String, counts: [String: Int]) throws {
        try connection.transaction {
            try appendPurgeRecord(purgedOn: purgedOn, executedAt: executedAt, rule: rule, counts: counts)
        }
    }

    func appendPurgeRecord(purgedOn: ExtractDate, executedAt: String, rule: String, counts: [String: Int]) throws {
        let head = try connection.prepare("SELECT head_hash FROM purge_chain WHERE singleton = 1")
        let prev = try head.step() ? (head.text(0) ?? "") : String(repeating: "0", count: 64)
        let countsJSON =
            "{" + counts.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        let hash = PurgeRecord.hash(
            prev: prev,
            purgedOn: purgedOn.iso,
            executedAt: executedAt,
            rule: rule,
            counts: countsJSON
        )
        try connection.prepare(
            "INSERT INTO purge_records (purged_on, executed_at, rule, counts, prev_hash, hash, erased) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)"
        ).run([.text(purgedOn.iso), .text(executedAt), .text(rule), .text(countsJSON), .text(prev), .text(hash)])
        try connection.prepare("UPDATE purge_chain SET head_hash = ?1, records = records + 1").run([.text(hash)])
    }

    /// Deletion records executed in a period (by the day the deletion ran, not the rule's date: a purge run on
    /// 2026-11-30 belongs to 2026 whatever date it applied the rules for), oldest first.
    public func purgeRecords(from: ExtractDate?, to: ExtractDate?) throws -> [PurgeRecord] {
        let stmt = try connection.prepare(
            "SELECT id, purged_on, executed_at, rule, counts, prev_hash, hash, erased FROM purge_records WHERE substr(executed_at, 1, 10) >= ?1 AND substr(executed_at, 1, 10) <= ?2 ORDER BY id"
        )
        try stmt.bind([.text(from?.iso ?? "0000-00-00"), .text(to?.iso ?? "9999-99-99")])
        var records: [PurgeRecord] = []
        while try stmt.step() {
            records.append(
                PurgeRecord(
                    id: stmt.int(0),
                    purgedOn: ExtractDate(iso: stmt.text(1) ?? "") ?? ExtractDate(dayNumber: 0),
                    executedAt: stmt.text(2) ?? "",
                    rule: stmt.text(3) ?? "",
                    countsJSON: stmt.text(4) ?? "",
                    counts: JournalJSON.value([String: Int].self, from: stmt.text(4), otherwise: [:]),
                    prevHash: stmt.text(5) ?? "",
                    hash: stmt.text(6) ?? "",
                    erased: stmt.int(7) != 0
                )
            )
        }
        return records
    }

    /// Checks the whole chain: each record's hash, each link to the previous one, and the head and count kept
    /// beside it. A removed or edited record is reported (R13).
    ///
    /// - Parameter earlierHeads: chain heads printed on earlier certificates. Each must still be on the chain (the
    ///   anchor, a record's hash, or the head): removing the newest records and rewriting `purge_chain` to match
    ///   is otherwise undetectable from inside the database.
    public func verifyPurgeChain(earlierHeads: [String] = []) throws -> ChainVerification {
        let chain = try connection.prepare(
            "SELECT anchor_hash, head_hash, records FROM purge_chain WHERE singleton = 1"
        )
        guard try chain.step() else {
            return ChainVerification(ok: false, records: 0, head: "", problems: ["the chain's head is missing"])
        }
        var expectedPrev = chain.text(0) ?? ""
        let head = chain.text(1) ?? ""
        let count = chain.int(2)
        var problems: [String] = []
        let all = try purgeRecords(from: nil, to: nil)
        for r in all {
            if r.prevHash != expectedPrev {
                problems.append("record \(r.id): does not follow the previous record (one was removed or edited)")
            }
            let recomputed = PurgeRecord.hash(
                prev: r.prevHash,
                purgedOn: r.purgedOn.iso,
                executedAt: r.executedAt,
                rule: r.rule,
                counts: r.countsJSON
            )
            if recomputed != r.hash {
                problems.append("record \(r.id): its content does not match its hash (edited)")
            }
            expectedPrev = r.hash
        }
        if expectedPrev != head {
            problems.append("the last record is not the chain's head (records removed at the end)")
        }
        if all.count != count { problems.append("\(all.count) records found, \(count) written") }
        let onChain = Set([chain.text(0) ?? "", head] + all.map(\.hash))
        for earlier in earlierHeads where !onChain.contains(earlier.lowercased()) {
            problems.append(
                "the head \(earlier.prefix(16))… of an earlier certificate is no longer on the chain (records removed)"
            )
        }
        return ChainVerification(ok: problems.isEmpty, records: all.count, head: head, problems: problems)
    }
}
