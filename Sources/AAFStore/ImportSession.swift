import AAFModel
internal import CFileSync

#if canImport(Glibc)
import Glibc
#endif

/// What applying one record did.
public enum ApplyOutcome: Sendable, Hashable {
    case added
    case updated
    /// Same attributes as stored: nothing written.
    case unchanged
    /// A departed person present again, attributes unchanged.
    case reactivated
    /// A departed person present again with new attributes.
    case reactivatedAndUpdated
    /// A guardian no active pupil references: not stored (R4).
    case unreferencedGuardian
    /// A delete request applied (departed or deleted, by the caller's departure rule).
    case departed
    /// A delete request for a jointure not in the directory, or already departed.
    case unknownDelete
}

/// Link values that could not be read (wrong field count…), by attribute name. Names only (R15).
public typealias SkippedLinks = [String: Int]

/// The single transaction in which one delivery is applied (R21): every write of an import goes through
/// one session, and either ``commit(journal:)`` or ``rollback()`` ends it.
///
/// Prepared statements are kept for the whole session (raw SQLite C API on the hot path). Presence in a
/// Complet is tracked with a bitmap over row ids, so memory stays a few hundred kilobytes whatever the size.
public final class ImportSession {
    public let extractDate: ExtractDate
    let extractDateText: String
    let store: DirectoryStore
    var connection: SQLiteConnection { store.connection }
    var open = true
    /// The connection's change count once the session began: equal at commit, the delivery changed nothing.
    private var changesAtStart = 0

    /// The session's statements, prepared once, by `SessionStatement.rawValue`.
    let prepared: [Statement]
    let clearLinks: [Statement]
    /// Starts the disk's work on the WAL while the import runs (issue 24); stopped at commit or rollback.
    private let writeback: WritebackPacer

    var encoded: [UInt8] = []
    var seenPersons = Bitmap()
    /// Guardians this session found referenced by an active pupil when it applied them (R4: the check before a
    /// guardian is inserted or reactivated), and how many: pupils do not change after the guardians' file begins,
    /// so the sweep (R4, R7) need not check them again.
    var vouchedGuardians = Bitmap()
    var vouchedGuardianCount = 0
    var seenStructures = Bitmap()
    /// Active people per category when the session began (for the departure guard).
    public private(set) var activeBefore: [AAFCategory: Int] = [:]
    /// People who left the active directory during this session, per category (departed or deleted).
    public internal(set) var departures: [AAFCategory: Int] = [:]
    /// Link values skipped by attribute name.
    public internal(set) var skippedLinks: SkippedLinks = [:]

    /// Every class's and group's active members before the session's first change to a pupil (the change feed's
    /// group events); nil while no pupil changed, so that an unchanged re-import reads no group.
    var groupsBefore: GroupSnapshot?
    /// Whether the delivery is a Complet (every active record is listed) or a Delta (only those it names).
    let mode: DeliveryMode
    /// No person was stored when the session began (a first import): each person is inserted without a lookup
    /// first, the insertion's own check of `(category, jointure)` finding the rare one listed twice.
    private(set) var directoryWasEmpty = false
    /// The highest person id when the session began: a person above it was created by this session (the change
    /// feed's `was_active`, as `change_context.persons_before` for the triggers).
    private(set) var personsBefore = 0

    init(store: DirectoryStore, extractDate: ExtractDate, mode: DeliveryMode) throws {
        self.store = store
        self.mode = mode
        self.extractDate = extractDate
        self.extractDateText = extractDate.iso
        let c = store.connection
        prepared = try SessionStatement.allCases.map { try c.prepare($0.sql) }
        clearLinks =
            try ["attachments", "memberships", "functions", "directorships"].map {
                try c.prepare("DELETE FROM \($0) WHERE person_id = ?1")
            } + [c.prepare("DELETE FROM guardianships WHERE pupil_id = ?1")]

        // A first import inserts only: its statements' journals are small, and SQLite keeps them in memory up to
        // 64 KiB anyway, in one block. Kept in memory without a bound, they are made of 1 KiB blocks, which cost a
        // first import of 100,000 pupils 5–10 % of its time and 1.8 MB. An import over people already there updates
        // them, and those journals are the ones that went to a temporary file.
        if try c.scalarInt("SELECT EXISTS (SELECT 1 FROM persons)") == 1 {
            try c.beginWithStatementJournalsInMemory()
        } else {
            try c.execute("BEGIN IMMEDIATE")
        }
        writeback = WritebackPacer(walPath: c.path + "-wal")
        do {
            try store.setChangeContext("import", extractDate: extractDate)
            changesAtStart = store.totalChanges
            directoryWasEmpty = try c.scalarInt("SELECT EXISTS (SELECT 1 FROM persons)") == 0
            personsBefore = try c.scalarInt("SELECT persons_before FROM change_context WHERE id = 1") ?? 0
            // The counts the writers keep (migration 13), read inside this transaction: the departure guard's base.
            let counts = try store.counts()
            for category in AAFCategory.importOrder { activeBefore[category] = counts[category] }
        } catch {
            writeback.stop()
            try? c.execute("ROLLBACK")
            throw error
        }
    }

    deinit {
        if open { rollback() }
    }

    // MARK: Records

    /// Before a pupil's first change in this session: the groups as they were.
    func willChangeGroups(_ category: AAFCategory) throws {
        if category == .pupil, groupsBefore == nil { groupsBefore = try store.groupSnapshot() }
    }

    /// Applies an add or modify request (a modify is a full replace; an add of a known jointure replaces it;
    /// a modify of an unknown one adds it).
    public func upsert(_ record: AAFRecord) throws -> ApplyOutcome {
        precondition(open, "ImportSession used after commit or rollback")
        encoded = record.encoded
        if record.category == .structure {
            return try upsertStructure(record)
        }
        let dateText = extractDateText
        // A first import: one index search per person less (issue 24). A guardian is inserted only while an active
        // pupil points to it (R4), as below; one listed twice, or not pointed to, goes the ordinary way.
        if directoryWasEmpty, try record.category != .guardian || isReferencedByActivePupil(record.jointure) {
            try willChangeGroups(record.category)
            if let id = try insertPerson(record) {
                if record.category == .guardian { vouchGuardian(id) }
                return try added(id, record)
            }
        }
        statement(.findPerson).reset()
        try statement(.findPerson).bindText(record.category.rawValue, at: 1)
        try statement(.findPerson).bindText(record.jointure, at: 2)
        if try statement(.findPerson).step() {
            let id = statement(.findPerson).int(0)
            let departed = !statement(.findPerson).isNull(2)
            let wasRestricted = statement(.findPerson).int(3) != 0
            var update = AttributeUpdate.none
            let same = statement(.findPerson).withBlob(1) { stored in
                // memcmp: the byte-wise Swift comparison was the writer's largest own cost on a re-import.
                let same =
                    stored.count == encoded.count
                    && encoded.withUnsafeBytes { mine in
                        stored.isEmpty || memcmp(stored.baseAddress!, mine.baseAddress!, stored.count) == 0
                    }
                if !same { update = AttributeUpdate(from: stored, to: encoded) }
                return same
            }
            statement(.findPerson).reset()
            seenPersons.insert(id)
            // R4, R7: a departed guardian stays departed while no active pupil references them, even if the
            // académie still lists them; reactivating them would depart them again at every import, moving
            // departed_on (and so R7's purge) forward and feeding the mass-departure guard.
            if departed, record.category == .guardian {
                guard try isReferencedByActivePupil(record.jointure) else { return .unchanged }
                vouchGuardian(id)
            }
            if same {
                guard departed else {
                    // R9: a Complet lists everyone (its date is kept once, `last_complet`); a Delta only some.
                    if mode == .delta { try statement(.touchListed).run([.int(id), .text(dateText)]) }
                    return .unchanged
                }
                try willChangeGroups(record.category)
                try statement(.reactivatePerson).run([.int(id), .text(dateText)])
                return .reactivated
            }
            try willChangeGroups(record.category)
            let write = statement(departed ? .updatePerson : .updateActivePerson)
            try write.bind([.int(id)])
            try encoded.withUnsafeBytes { try write.bindTextBytes($0, at: 2) }
            try write.bindText(dateText, at: 3)
            try write.bindPersonColumns(of: encoded, from: 4)
            try write.step()
            try recordUpdate(
                update,
                of: record,
                wasActive: !departed && !wasRestricted && id <= personsBefore
            )
            if !departed, case .names(let names) = update, !RecordLinks.namesTouchLinks(names, of: record.category) {
                // No link attribute changed: the links stored are those of these values (only their skipped
                // values are counted, as a rewrite would).
                skippedLinks.merge((record.links ?? RecordLinks(record)).skipped, uniquingKeysWith: +)
                return .updated
            }
            for stmt in clearLinks { try stmt.run([.int(id)]) }
            try writeLinks(personID: id, record: record)
            return departed ? .reactivatedAndUpdated : .updated
        }
        statement(.findPerson).reset()
        // R4: a guardian is stored only while an active pupil points to it.
        if record.category == .guardian, try !isReferencedByActivePupil(record.jointure) {
            return .unreferencedGuardian
        }
        try willChangeGroups(record.category)
        guard let id = try insertPerson(record) else {
            throw StoreError("person \(record.category.rawValue) at line \(record.line) was stored meanwhile")
        }
        if record.category == .guardian { vouchGuardian(id) }
        return try added(id, record)
    }

    /// Notes a guardian found referenced by an active pupil as this session applied them.
    private func vouchGuardian(_ id: Int) {
        if vouchedGuardians.insert(id) { vouchedGuardianCount += 1 }
    }

    /// Inserts the person of `record` (its attributes in `encoded`); nil when `(category, jointure)` is stored already.
    private func insertPerson(_ record: AAFRecord) throws -> Int? {
        let insert = statement(.insertPerson)
        insert.reset()
        try insert.bindText(record.category.rawValue, at: 1)
        try insert.bindText(record.jointure, at: 2)
        try encoded.withUnsafeBytes { try insert.bindTextBytes($0, at: 3) }
        try insert.bindText(extractDateText, at: 4)
        try insert.bindPersonColumns(of: encoded, from: 5)
        try insert.step()
        return connection.changes == 1 ? Int(lastInsertRowID) : nil
    }

    /// What follows a person's insertion: seen in this Complet, links written.
    private func added(_ id: Int, _ record: AAFRecord) throws -> ApplyOutcome {
        seenPersons.insert(id)
        try writeLinks(personID: id, record: record)
        return .added
    }

    func upsertStructure(_ record: AAFRecord) throws -> ApplyOutcome {
        let uai: SQLValue = .optional(record.first("ENTStructureUAI"))
        try statement(.findStructure).bind([.text(record.jointure)])
        if try statement(.findStructure).step() {
            let id = statement(.findStructure).int(0)
            let departed = !statement(.findStructure).isNull(2)
            let same = statement(.findStructure).withBlob(1) { Array($0) == encoded }
            statement(.findStructure).reset()
            seenStructures.insert(id)
            if same {
                guard departed else { return .unchanged }
                try statement(.reactivateStructure).run([.int(id)])
                return .reactivated
            }
            try statement(.updateStructure).run([.int(id), uai, .textBytes(encoded), .text(extractDate.iso)])
            return departed ? .reactivatedAndUpdated : .updated
        }
        statement(.findStructure).reset()
        try statement(.insertStructure).run([.text(record.jointure), uai, .textBytes(encoded), .text(extractDate.iso)])
        seenStructures.insert(Int(lastInsertRowID))
        return .added
    }

    /// Applies a delete request: the jointure departs, by `departure`.
    public func delete(_ record: AAFRecord, departure: Departure) throws -> ApplyOutcome {
        precondition(open, "ImportSession used after commit or rollback")
        if record.category == .structure {
            try statement(.findStructure).bind([.text(record.jointure)])
            guard try statement(.findStructure).step(), statement(.findStructure).isNull(2) else {
                statement(.findStructure).reset()
                return .unknownDelete
            }
            let id = statement(.findStructure).int(0)
            statement(.findStructure).reset()
            try depart(structureIDs: [id], action: departure)
            return .departed
        }
        try statement(.findPerson).bind([.text(record.category.rawValue), .text(record.jointure)])
        guard try statement(.findPerson).step(), statement(.findPerson).isNull(2) else {
            statement(.findPerson).reset()
            return .unknownDelete
        }
        let id = statement(.findPerson).int(0)
        statement(.findPerson).reset()
        try depart(personIDs: [id], category: record.category, action: departure)
        return .departed
    }

    // MARK: End

    /// Writes the journal row and the deletion records of people deleted by this import (R8 staff, R4 guardians no
    /// pupil references; R13), commits the delivery in one step, then empties the WAL (R5, R12).
    /// - Returns: whether the erasure of what the import replaced or deleted is complete (R12): false when a reader
    ///   kept the checkpoint from completing; the import stands and the next run completes the erasure.
    @discardableResult
    public func commit(journal: JournalEntry, deletions: [String: [String: Int]] = [:]) throws -> Bool {
        precondition(open, "ImportSession used after commit or rollback")
        let directoryChanged = store.totalChanges != changesAtStart
        // R2: a staff member deleted by this import (R8) takes their consent along.
        let consents = try store.forgetConsentsOfDeparted()
        var deletions = deletions
        if consents > 0 { deletions["R2", default: [:]]["consents"] = consents }
        try store.recordCreations()
        // The import and then the group changes free megabytes in small blocks that glibc keeps: given back before
        // each of the last steps takes its own (issue 24: 44.4 → 39.3 MB after the group changes of a first import
        // of 500,000 pupils).
        cfilesync_release_free_heap()
        if let groupsBefore { try store.recordGroupChanges(since: groupsBefore) }
        cfilesync_release_free_heap()
        // A person under an open restriction or opposition request that this delivery (re)creates is restricted
        // again at once (issue 14).
        try store.syncRestrictions(lifting: false)
        try store.insertJournal(journal)
        // An unchanged directory keeps its last census (about half a second of counting at 100,000 pupils).
        if directoryChanged {
            try store.recount()
            try store.census.record(runID: Int(connection.lastInsertRowID), finishedAt: journal.finishedAt)
        }
        try connection.prepare(
            "INSERT INTO directory_state (key, value) VALUES ('last_received', ?1) ON CONFLICT (key) DO UPDATE SET value = max(value, ?1)"
        ).run([.text(extractDate.iso)])
        if mode == .complet {
            // R9: every active record was listed on this date.
            try connection.prepare(
                "INSERT INTO directory_state (key, value) VALUES ('last_complet', ?1) ON CONFLICT (key) DO UPDATE SET value = max(value, ?1)"
            ).run([.text(extractDate.iso)])
        }
        for (rule, counts) in deletions.sorted(by: { $0.key < $1.key }) where counts.values.reduce(0, +) > 0 {
            try store.appendPurgeRecord(
                purgedOn: extractDate,
                executedAt: journal.finishedAt,
                rule: rule,
                counts: counts
            )
        }
        // The person triggers write the feed's `updated` rows again for whoever writes next (ADR 0020).
        try store.setChangeContext("admin", extractDate: nil)
        try connection.execute("COMMIT")
        open = false
        defer { writeback.stop() }
        return try store.completeErasure()
    }

    /// Discards every write of the session.
    public func rollback() {
        guard open else { return }
        open = false
        writeback.stop()
        if connection.inTransaction { try? connection.execute("ROLLBACK") }
    }
}
