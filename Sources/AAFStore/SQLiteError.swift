/// A failed SQLite call: the result code (extended codes on) and SQLite's message.
///
/// SQLite's messages name tables and constraints, never bound values: aafd binds every value (R15).
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// The extended result code, e.g. 5 `SQLITE_BUSY`, 2067 `SQLITE_CONSTRAINT_UNIQUE`.
    public var code: Int32
    public var message: String
    /// What aafd was doing.
    public var context: String

    public var description: String { "SQLite error \(code) while \(context): \(message)" }

    /// SQLITE_IOERR or SQLITE_FULL: the disk is full or failing (exit 74, "check free space").
    public var isStorageFailure: Bool { [10, 13].contains(code & 0xFF) }

    /// SQLITE_CORRUPT or SQLITE_NOTADB: the file is damaged.
    public var isDamage: Bool { [11, 26].contains(code & 0xFF) }
}

/// Why the directory cannot be opened or used.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
