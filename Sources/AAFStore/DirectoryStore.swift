import AAFModel
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The SQLite ENT directory: structures, people, their links, and the import journal.
///
/// One writing connection per process. Admin commands read through the same type.
/// The database failed SQLite's integrity check: aafd writes nothing to it.
public struct DatabaseDamaged: Error, Sendable, CustomStringConvertible {
    public var path: String
    /// SQLite's first finding (page numbers, no data).
    public var problem: String
    public var description: String {
        "the directory database \(path) is damaged (SQLite: \(problem.prefix(200))); aafd will not write to it. Restore the "
            + "last backup, or move the file aside and let the next Complet delivery rebuild the directory, then record the "
            + "consents again from the register (Docs/operations.md, \"A damaged database\")"
    }
}

public final class DirectoryStore {
    let connection: SQLiteConnection
    /// How long a deletion waits for readers to let go before it is reported incomplete (R12):
    /// `[retention] erasure_wait_seconds`.
    public var erasureWait: Duration = .seconds(30)

    /// The damage check running beside the work (`checkBeside`), nil when it ran at open or had nothing to check.
    private let integrity: IntegrityGate?

    /// Opens the database at `path`, creating it (mode 0600) and applying pending migrations.
    ///
    /// A damaged database is never written to (a flipped page, a truncated file): an existing one is checked within
    /// a bounded time before anything is committed. By default before this returns. With `checkBeside`, and no
    /// migration to apply, on a thread of its own while the caller works, every commit waiting for its answer
    /// (``IntegrityGate``): the caller then asks ``damage()`` when done.
    public init(path: String, checkBeside: Bool = false) throws {
        let existed = access(path, F_OK) == 0
        do {
            connection = try SQLiteConnection(path: path, create: true)
            if existed, checkBeside, try connection.scalarInt("PRAGMA user_version") == Migrations.all.count {
                integrity = IntegrityGate(path: path, seconds: 60)
            } else {
                integrity = nil
            }
        } catch let error as SQLiteError where error.isDamage {
            throw DatabaseDamaged(path: path, problem: error.message)
        }
        if let integrity {
            integrity.guardCommits(of: connection)
        } else if existed, let problem = connection.quickCheck(seconds: 60) {
            connection.close()
            throw DatabaseDamaged(path: path, problem: problem)
        }
        try Migrations.migrate(connection)
    }

    /// What the damage check found, once it has answered (it may be running beside the caller's work: see
    /// ``init(path:checkBeside:)``); nil for a sound database. A damaged one has had every commit refused.
    public func damage() -> DatabaseDamaged? {
        integrity?.wait().map { DatabaseDamaged(path: connection.path, problem: $0) }
    }

    /// Opens an existing database for the administrator's questions (`status`, `person show`, `history`,
    /// `certificate`, `consent list`): never creates or migrates it, so it cannot race with a run that does.
    ///
    /// - Parameter readOnly: a read-only connection (`status` needs writes it rolls back, for its purge preview).
    /// - Throws: ``StoreError`` when the file does not exist, or its schema is not the one this aafd writes
    ///   (being created or migrated by another run, or waiting for the next run to migrate it).
    public init(existingAt path: String, readOnly: Bool) throws {
        connection = try SQLiteConnection(path: path, create: false, readOnly: readOnly)
        integrity = nil
        let version = try connection.scalarInt("PRAGMA user_version") ?? 0
        guard version == Migrations.all.count else {
            throw StoreError(
                version < Migrations.all.count
                    ? "the database \(path) has schema version \(version), this aafd writes \(Migrations.all.count): it is being created or "
                        + "migrated by another aafd run, or the next `aafd import` (or service start) migrates it; try again then"
                    : "the database schema is version \(version), newer than this aafd knows (\(Migrations.all.count)); upgrade aafd"
            )
        }
    }

    // MARK: Erasure (R5, R12)

    /// Deletion records whose values may still be in the database files.
    public func pendingErasures() throws -> Int {
        try connection.scalarInt("SELECT count(*) FROM purge_records WHERE erased = 0") ?? 0
    }

    /// Removes every copy of deleted values from the database files: a TRUNCATE checkpoint (secure_delete has
    /// zeroed them in the new pages), retried while readers hold older snapshots, for at most ``erasureWait``.
    /// Then the deletion records still pending are marked erased.
    ///
    /// - Returns: whether the erasure is complete. When false, nothing was lost: the deletions are committed, the
    ///   records stay pending, and the next run completes them.
    @discardableResult
    public func completeErasure() throws -> Bool {
        let deadline = ContinuousClock.now + erasureWait
        while true {
            if try connection.checkpointTruncate() { break }
            guard ContinuousClock.now < deadline else { return false }
            Thread.sleep(forTimeInterval: 0.2)
        }
        if try pendingErasures() > 0 {
            try connection.transaction {
                try connection.execute("UPDATE purge_records SET erased = 1 WHERE erased = 0")
            }
            _ = try connection.checkpointTruncate()  // the flag holds no personal data; best effort
        }
        return true
    }

    /// Starts the one transaction in which a delivery is applied.
    public func beginImport(extractDate: ExtractDate, mode: DeliveryMode) throws -> ImportSession {
        try ImportSession(store: self, extractDate: extractDate, mode: mode)
    }

    /// Says, for the change feed's triggers (migration 9), who is about to change the directory and for which
    /// extract date: an import, the purge, an administrator (consents). Inside the writer's own transaction.
    func setChangeContext(_ source: String, extractDate: ExtractDate?) throws {
        // Rows above these ids are created by this writer: their later events say they were not there before.
        try connection.prepare(
            """
            UPDATE change_context SET source = ?1, extract_date = ?2,
                persons_before = (SELECT coalesce(max(id), 0) FROM persons),
                structures_before = (SELECT coalesce(max(id), 0) FROM structures)
            WHERE id = 1
            """
        ).run([.text(source), .optional(extractDate?.iso)])
    }

    /// How long a statement waits for another connection's lock before SQLITE_BUSY (5,000 ms by default).
    public func setBusyTimeout(milliseconds: Int32) {
        connection.setBusyTimeout(milliseconds: milliseconds)
    }

    /// Rows inserted, updated or deleted through this connection since it opened (SQLite's total_changes): what
    /// a test of "an unchanged delivery writes nothing" measures.
    public var totalChanges: Int { connection.totalChanges }

    /// How many rows every table holds (SQLite's own tables aside), by name: what a final certificate of deletion
    /// says was stored (counts only, R15).
    public func tableRowCounts() throws -> [(table: String, rows: Int)] {
        let names = try connection.prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        var tables: [String] = []
        while try names.step() { tables.append(names.text(0) ?? "") }
        return try tables.filter { !$0.isEmpty }.map { table in
            let quoted = "\"" + table.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            return (table, try connection.scalarInt("SELECT count(*) FROM \(quoted)") ?? 0)
        }
    }

    /// Every row of the directory's tables (structures, persons and their links), in a stable order, as text: two
    /// equal dumps mean an unchanged directory. For tests and for comparing two stores; holds personal data.
    public func directoryDump() throws -> String {
        var out: [String] = []
        for table in [
            "structures", "persons", "attachments", "guardianships", "memberships", "functions", "directorships",
        ] {
            let stmt = try connection.prepare("SELECT * FROM \(table) ORDER BY 1, 2")
            while try stmt.step() {
                out.append(
                    table + ":"
                        + (0..<stmt.columnCount).map { stmt.isNull($0) ? "∅" : (stmt.text($0) ?? "") }.joined(
                            separator: "|"
                        )
                )
            }
        }
        return out.joined(separator: "\n")
    }

    // MARK: Journal

    /// Appends one journal row in its own transaction (refused and failed runs; imported runs are
    /// journaled inside their import transaction by ``ImportSession/commit(journal:)``).
    public func appendJournal(_ entry: JournalEntry) throws {
        try connection.transaction { try insertJournal(entry) }
    }

    func insertJournal(_ entry: JournalEntry) throws {
        let stmt = try connection.prepare(
            """
            INSERT INTO import_runs (started_at, finished_at, extract_date, mode, outcome, dry_run, reason, counts,
                                     dropped, duration_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        )
        try stmt.run([
            .text(entry.startedAt), .text(entry.finishedAt), .optional(entry.extractDate?.iso),
            .optional(entry.mode?.rawValue),
            .text(entry.outcome.rawValue), .int(entry.dryRun ? 1 : 0), .optional(entry.reason),
            .text(JournalJSON.text(entry.counts)),
            .text(JournalJSON.text(entry.dropped)), .int(entry.durationMilliseconds),
        ])
    }

    /// Journal entries, newest first.
    public func journal(
        limit: Int = 20,
        outcome: ImportOutcome? = nil,
        includeDryRuns: Bool = false
    ) throws -> [JournalEntry] {
        var sql = """
            SELECT started_at, finished_at, extract_date, mode, outcome, dry_run, reason, counts, dropped, duration_ms
            FROM import_runs WHERE 1
            """
        var bindings: [SQLValue] = []
        if let outcome {
            sql += " AND outcome = ?"
            bindings.append(.text(outcome.rawValue))
        }
        if !includeDryRuns { sql += " AND dry_run = 0" }
        sql += " ORDER BY id DESC LIMIT ?"
        bindings.append(.int(limit))
        return try connection.rows(sql, bindings) { row in
            JournalEntry(
                startedAt: row.text(0) ?? "",
                finishedAt: row.text(1) ?? "",
                extractDate: row.text(2).flatMap { ExtractDate(iso: $0) },
                mode: row.text(3).flatMap(DeliveryMode.init(rawValue:)),
                outcome: ImportOutcome(rawValue: row.text(4) ?? "") ?? .failed,
                dryRun: row.int(5) != 0,
                reason: row.text(6),
                counts: JournalJSON.value(DeliveryCounts.self, from: row.text(7), otherwise: DeliveryCounts()),
                dropped: JournalJSON.value([String: Int].self, from: row.text(8), otherwise: [:]),
                durationMilliseconds: row.int(9)
            )
        }
    }

    /// The extract date of the newest imported delivery: when the académie last sent the directory (R9, R20).
    /// Kept apart from the journal, which R11 purges.
    public func lastImportedExtractDate() throws -> ExtractDate? {
        let stmt = try connection.prepare("SELECT value FROM directory_state WHERE key = 'last_received'")
        return try stmt.step() ? stmt.text(0).flatMap { ExtractDate(iso: $0) } : nil
    }

    // MARK: Counts

    /// Active structures and people per category, and departed people awaiting purge.
    public func counts() throws -> DirectoryCounts {
        try Self.counts(
            connection.rows("SELECT category, active, departed FROM directory_counts") {
                ($0.text(0) ?? "", $0.int(1), $0.int(2))
            }
        )
    }

    /// The same counts from every row (what `directory_counts` must always equal; the tests compare them).
    public func countedFully() throws -> DirectoryCounts {
        try Self.counts(connection.rows(Self.fullCountSQL) { ($0.text(0) ?? "", $0.int(1), $0.int(2)) })
    }

    private static func counts(_ rows: [(category: String, active: Int, departed: Int)]) -> DirectoryCounts {
        var result = DirectoryCounts()
        for row in rows {
            guard let category = AAFCategory(rawValue: row.category) else { continue }
            result.active[category] = row.active
            if category != .structure { result.departed += row.departed }
        }
        return result
    }

    /// Active and departed entries by category (structures under their own category), over the state indexes.
    static let fullCountSQL = """
        SELECT 'EtabEducNat', count(*) - count(departed_on), count(departed_on) FROM structures
        UNION ALL SELECT category, count(*) - count(departed_on), count(departed_on) FROM persons GROUP BY category
        """

    /// Replaces `directory_counts` by a full count; inside the writer's transaction.
    static let recountSQL = """
        DELETE FROM directory_counts;
        INSERT INTO directory_counts (category, active, departed) \(fullCountSQL);
        """

    /// Recounts after a write that added, departed, reactivated or deleted entries (an import that changed the
    /// directory, a purge that deleted), in that write's transaction: `status` then reads five rows (issue 24).
    func recount() throws {
        try connection.execute(Self.recountSQL)
    }
}

/// How many entries the directory holds: active ones by category, and departed people awaiting their purge.
/// Encoded as `status --json`'s `directory`: each category's report key, and `departed`.
public struct DirectoryCounts: Sendable, Hashable, Encodable {
    public var active: [AAFCategory: Int] = [:]
    /// Departed people not yet purged.
    public var departed = 0

    public init() {}

    public subscript(category: AAFCategory) -> Int { active[category] ?? 0 }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for category in AAFCategory.importOrder {
            try container.encode(self[category], forKey: Key(stringValue: category.reportKey))
        }
        try container.encode(departed, forKey: Key(stringValue: "departed"))
    }
}

/// One row of the import journal. No personal data: dates, counts, attribute names, rule IDs (R15).
/// One row of the import journal (R13): dates, outcome, counts; never a value.
public struct JournalEntry: Sendable, Hashable {
    public var startedAt: String
    public var finishedAt: String
    @NullEncoded public var extractDate: ExtractDate?
    @NullEncoded public var mode: DeliveryMode?
    public var outcome: ImportOutcome
    public var dryRun: Bool
    /// Why a run was refused or failed: file, line, rule; never a value.
    @NullEncoded public var reason: String?
    public var counts: DeliveryCounts
    /// Attributes dropped by the allow-list, by name (R1).
    public var dropped: [String: Int]
    public var durationMilliseconds: Int
}

extension JournalEntry {
    /// The journal row of an import: its report, dated by the import's start and end.
    public init(_ report: ImportReport, startedAt: String, finishedAt: String) {
        self.init(
            startedAt: startedAt,
            finishedAt: finishedAt,
            extractDate: report.extractDate,
            mode: report.mode,
            outcome: report.outcome,
            dryRun: report.dryRun,
            reason: report.reason,
            counts: report.counts,
            dropped: report.droppedAttributes,
            durationMilliseconds: report.durationMilliseconds
        )
    }
}

/// `history --json`: one object per journal row, every key present (`null` when absent).
extension JournalEntry: Encodable {
    private enum CodingKeys: String, CodingKey {
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case extractDate = "extract_date"
        case mode, outcome
        case dryRun = "dry_run"
        case reason, counts, dropped
        case durationMilliseconds = "duration_ms"
    }
}

/// The journal's JSON columns: key-sorted, compact.
enum JournalJSON {
    static func text(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func value<T: Decodable>(_ type: T.Type, from text: String?, otherwise fallback: T) -> T {
        guard let text else { return fallback }
        return (try? JSONDecoder().decode(T.self, from: Data(text.utf8))) ?? fallback
    }
}
