import AAFFileSystem
internal import CSQLite3

#if canImport(Glibc)
import Glibc
#endif

/// One SQLite connection (`sqlite3_open_v2`), owned by one task at a time.
///
/// Opened with WAL, foreign keys on, `secure_delete` on (R12) and `synchronous = FULL`; the database file
/// is created 0600 before SQLite opens it (R18), and SQLite gives its -wal and -shm files the same mode.
final class SQLiteConnection {
    /// The page cache, in KiB (4 MiB): the import's memory budget counts on it (issue 24: 8 MiB cost 4 MB of peak RSS and
    /// no measurable speed at 100,000 pupils).
    static let pageCacheKiB = 4096

    /// SQLite's process-wide settings, before its first connection: no memory statistics (a global mutex per
    /// allocation; issue 24).
    private static let configured: Bool = csqlite3_disable_memstatus() == SQLITE_OK
    static func configureOnce() { _ = configured }

    private var handle: OpaquePointer?
    let path: String

    /// Opens (and with `create`, creates) the database at `path`.
    init(path: String, create: Bool = true, readOnly: Bool = false) throws {
        self.path = path
        // R18: the folder, the database and its WAL and shared-memory files belong to aafd's user and nobody else
        // may write (or, for the files, read) them; an existing file must be a SQLite database.
        try PathTrust.check(PathTrust.folder(of: path), .folder, what: "the database folder")
        for (file, what) in [
            (path, "the database"), (path + "-wal", "the database's WAL"),
            (path + "-shm", "the database's shared memory file"),
        ] {
            try PathTrust.check(file, .privateFile, what: what)
        }
        if access(path, F_OK) == 0 {
            try SQLiteConnection.checkIsDatabase(path)
        } else if create, !readOnly {
            // Create the file ourselves (O_EXCL) so that its mode is 0600 whatever the umask (R18); a file aafd did
            // not create is never chmodded.
            let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            if fd >= 0 {
                fchmod(fd, 0o600)
                Glibc.close(fd)
            } else if errno != EEXIST {
                throw StoreError("cannot create the database file \(path) (errno \(errno)); check [directory] database")
            }
        } else if access(path, F_OK) != 0 {
            throw StoreError("the database file \(path) does not exist yet; run `aafd import` first")
        }
        SQLiteConnection.configureOnce()
        var db: OpaquePointer?
        let flags =
            (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, message: message, context: "opening \(path)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, 5000)
        try execute("PRAGMA foreign_keys = ON")
        try execute("PRAGMA secure_delete = ON")
        if !readOnly {
            // A new, empty database gets 16 KiB pages (fewer B-tree levels and system calls for a directory
            // of a few hundred thousand rows); page_size can only change before the first table and WAL.
            if try scalarInt("PRAGMA page_count") == 0 {
                try execute("PRAGMA page_size = 16384")
            }
            try enableWAL()
            try execute("PRAGMA synchronous = FULL")
        }
        try execute("PRAGMA temp_store = FILE")
        // 4 MiB of page cache, whatever the page size: memory does not grow with the directory.
        try execute("PRAGMA cache_size = -\(SQLiteConnection.pageCacheKiB)")
    }

    deinit {
        close()
    }

    /// An existing file is either empty (being created by another aafd) or starts with SQLite's header: aafd never
    /// opens, let alone writes, another kind of file (`database = "/etc/passwd"` is refused untouched).
    static func checkIsDatabase(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { throw StoreError("cannot open the database file \(path) (errno \(errno))") }
        defer { Glibc.close(fd) }
        var header = [UInt8](repeating: 0, count: 16)
        let n = header.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 16) }
        guard n == 0 || (n == 16 && header == Array("SQLite format 3\0".utf8)) else {
            throw PathTrust.Refusal(
                path: path,
                message:
                    "\(path) exists and is not a SQLite database; refused, and left untouched. Fix [directory] database"
            )
        }
    }

    /// Switches to WAL unless the database is in WAL already. Changing the journal mode needs a lock that the
    /// busy handler does not wait for: a process opening a new database while another creates it (`aafd status`
    /// during the first `aafd run`) got SQLITE_BUSY at once. Retried for up to 10 s.
    private func enableWAL() throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            do {
                let mode = try prepare("PRAGMA journal_mode")
                let isWAL = try mode.step() && mode.text(0)?.lowercased() == "wal"
                mode.reset()  // ends the statement's read transaction before the mode changes
                if isWAL { return }
                try execute("PRAGMA journal_mode = WAL")
                return
            } catch let error as SQLiteError where error.code & 0xFF == SQLITE_BUSY && ContinuousClock.now < deadline {
                usleep(20_000)
            }
        }
    }

    /// Begins a write transaction (`BEGIN IMMEDIATE`) whose statement journals stay in memory.
    ///
    /// A statement that fires a trigger (an updated person: the change feed's) keeps the pages it changes in a
    /// statement journal, to undo that statement alone. With `temp_store = FILE`, SQLite writes one over 64 KiB to a
    /// temporary file (in /var/tmp, outside aafd's folder), and once it has, every later statement journal of the
    /// transaction goes to that file: an import that updated every person of 100,000 pupils wrote 15.9 GB of pages
    /// there, 4 pages per person, into a file truncated after each statement (issue 24). SQLite decides where
    /// statement journals go when the transaction begins (`temp_store` then), and where sorters and temporary tables
    /// go when each is opened: so `MEMORY` for the `BEGIN` only, and `FILE` again at once, keeps the large sorts of
    /// the import's end on disk (bounded memory) while each record's journal (a few pages) stays in memory.
    func beginWithStatementJournalsInMemory() throws {
        try execute("PRAGMA temp_store = MEMORY")
        do {
            try execute("BEGIN IMMEDIATE")
        } catch {
            try? execute("PRAGMA temp_store = FILE")
            throw error
        }
        do {
            try execute("PRAGMA temp_store = FILE")
            guard try scalarInt("PRAGMA temp_store") == 1 else { throw StoreError("temp_store did not return to FILE") }
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Calls `hook` before each commit (`sqlite3_commit_hook`): non-zero turns the commit into a rollback.
    func setCommitHook(_ hook: @convention(c) (UnsafeMutableRawPointer?) -> Int32, context: UnsafeMutableRawPointer) {
        if let handle { sqlite3_commit_hook(handle, hook, context) }
    }

    /// Closes the connection; later calls do nothing.
    func close() {
        if let handle {
            sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    var db: OpaquePointer {
        guard let handle else { fatalError("SQLiteConnection used after close()") }
        return handle
    }

    /// Runs one or more statements without results (`sqlite3_exec`).
    func execute(_ sql: String) throws {
        let rc = sqlite3_exec(db, sql, nil, nil, nil)
        try check(rc, sql.prefix(60).description)
    }

    /// Prepares a statement (`sqlite3_prepare_v3`).
    /// Runs `body` with a 1 MiB page cache, then restores the usual one: a large GROUP BY or ORDER BY then spills
    /// its sorter to a temporary file instead of taking as much memory again as the page cache (peak RSS ≤ 64 MB).
    func withSmallPageCache<T>(_ body: () throws -> T) throws -> T {
        try execute("PRAGMA cache_size = -1024")
        defer { try? execute("PRAGMA cache_size = -\(SQLiteConnection.pageCacheKiB)") }
        return try body()
    }

    func prepare(_ sql: String) throws -> Statement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        try check(rc, "preparing a statement")
        guard let stmt else { throw StoreError("empty SQL statement") }
        return Statement(stmt, connection: self)
    }

    /// Rows changed by the last statement.
    var changes: Int { Int(sqlite3_changes(db)) }

    /// Row id of the last insert (`sqlite3_last_insert_rowid`).
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(db) }

    /// Rows changed since the connection opened (`sqlite3_total_changes`).
    var totalChanges: Int { Int(sqlite3_total_changes(db)) }

    /// Whether a transaction is open.
    var inTransaction: Bool { sqlite3_get_autocommit(db) == 0 }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction; commits when it returns, rolls back when it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if inTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// `PRAGMA wal_checkpoint(TRUNCATE)`: copies the WAL into the database and empties it (R5, R12).
    ///
    /// - Returns: whether it completed. A reader holding an older snapshot keeps it from completing (SQLite
    ///   answers busy after the busy timeout): the old pages, deleted values included, then stay in the WAL and
    ///   the database file until it can.
    func checkpointTruncate() throws -> Bool {
        let stmt = try prepare("PRAGMA wal_checkpoint(TRUNCATE)")
        guard try stmt.step() else { return false }
        let busy = stmt.int(0)
        stmt.reset()
        return busy == 0
    }

    /// `PRAGMA quick_check`, stopped after `seconds` (a progress handler interrupts it).
    ///
    /// - Returns: nil when the database is sound (or the check ran out of time: it is bounded, not a proof); else
    ///   the first problem SQLite reports.
    func quickCheck(seconds: Double) -> String? {
        guard let handle else { return "the database is closed" }
        final class Deadline { var end: Double = 0 }
        let deadline = Deadline()
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        deadline.end = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 + seconds
        let context = Unmanaged.passUnretained(deadline).toOpaque()
        sqlite3_progress_handler(
            handle,
            100_000,
            { ctx in
                guard let ctx else { return 0 }
                let d = Unmanaged<Deadline>.fromOpaque(ctx).takeUnretainedValue()
                var t = timespec()
                clock_gettime(CLOCK_MONOTONIC, &t)
                return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9 > d.end ? 1 : 0
            },
            context
        )
        defer { sqlite3_progress_handler(handle, 0, nil, nil) }
        return withExtendedLifetime(deadline) {
            do {
                let stmt = try prepare("PRAGMA quick_check(1)")
                guard try stmt.step() else { return "quick_check returned nothing" }
                let answer = stmt.text(0) ?? ""
                return answer == "ok" ? nil : answer
            } catch let error as SQLiteError {
                if error.code == SQLITE_INTERRUPT { return nil }
                return error.message
            } catch {
                return "\(error)"
            }
        }
    }

    /// Sets how long a statement waits for another connection's lock (5 s from the start).
    func setBusyTimeout(milliseconds: Int32) {
        if let handle { sqlite3_busy_timeout(handle, milliseconds) }
    }

    /// Every row of a query, each made into a value by `row` (which reads the statement's current row).
    func rows<T>(_ sql: String, _ bindings: [SQLValue] = [], _ row: (Statement) throws -> T?) throws -> [T] {
        let stmt = try prepare(sql)
        try stmt.bind(bindings)
        var result: [T] = []
        while try stmt.step() {
            if let value = try row(stmt) { result.append(value) }
        }
        return result
    }

    /// The single text value of a one-row query.
    func scalarText(_ sql: String, _ bindings: [SQLValue] = []) throws -> String? {
        let stmt = try prepare(sql)
        try stmt.bind(bindings)
        return try stmt.step() ? stmt.text(0) : nil
    }

    /// The single value of a one-row query.
    func scalarInt(_ sql: String, _ bindings: [SQLValue] = []) throws -> Int? {
        let stmt = try prepare(sql)
        try stmt.bind(bindings)
        return try stmt.step() ? stmt.int(0) : nil
    }

    func check(_ rc: Int32, _ context: @autoclosure () -> String) throws {
        guard rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW else {
            if rc == SQLITE_MISUSE { fatalError("SQLite misuse while \(context())") }
            throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(db)), context: context())
        }
    }
}
