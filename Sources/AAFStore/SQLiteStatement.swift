import AAFModel
internal import CSQLite3
import Foundation

/// A value bound to a statement parameter.
enum SQLValue: Sendable, Hashable {
    case int(Int)
    case text(String)
    case blob([UInt8])
    /// UTF-8 bytes stored as TEXT (the attributes' stored form, ADR 0016), without building a String.
    case textBytes([UInt8])
    case null

    static func optional(_ s: String?) -> SQLValue { s.map(SQLValue.text) ?? .null }
}

/// A prepared statement (`sqlite3_stmt`); keeps its connection alive.
final class Statement {
    private let stmt: OpaquePointer
    private let connection: SQLiteConnection

    init(_ stmt: OpaquePointer, connection: SQLiteConnection) {
        self.stmt = stmt
        self.connection = connection
    }

    deinit { sqlite3_finalize(stmt) }

    /// Resets the statement and binds `values` to parameters 1…n.
    func bind(_ values: [SQLValue]) throws {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
        for (i, v) in values.enumerated() {
            try bind(v, at: Int32(i + 1))
        }
    }

    /// Resets without clearing, for hot paths that bind every parameter again.
    func reset() { sqlite3_reset(stmt) }

    func bind(_ value: SQLValue, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .int(let i): rc = sqlite3_bind_int64(stmt, index, Int64(i))
        case .text(let s): rc = Self.withUTF8(s) { sqlite3_bind_text(stmt, index, $0, $1, csqlite3_transient()) }
        case .blob(let b):
            rc = b.withUnsafeBytes {
                sqlite3_bind_blob(stmt, index, $0.baseAddress, Int32($0.count), csqlite3_transient())
            }
        case .textBytes(let b):
            rc = b.withUnsafeBytes {
                sqlite3_bind_text(
                    stmt,
                    index,
                    $0.baseAddress?.assumingMemoryBound(to: CChar.self) ?? UnsafePointer(bitPattern: 1)!,
                    Int32($0.count),
                    csqlite3_transient()
                )
            }
        case .null: rc = sqlite3_bind_null(stmt, index)
        }
        try connection.check(rc, "binding a parameter")
    }

    /// Binds UTF-8 bytes as TEXT without copying them into a Swift array first.
    func bindTextBytes(_ bytes: UnsafeRawBufferPointer, at index: Int32) throws {
        let rc = sqlite3_bind_text(
            stmt,
            index,
            bytes.baseAddress?.assumingMemoryBound(to: CChar.self) ?? UnsafePointer(bitPattern: 1)!,
            Int32(bytes.count),
            csqlite3_transient()
        )
        try connection.check(rc, "binding a parameter")
    }

    /// Binds bytes without copying them into a Swift array first.
    func bindBlob(_ bytes: UnsafeRawBufferPointer, at index: Int32) throws {
        let rc = sqlite3_bind_blob(
            stmt,
            index,
            bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1),
            Int32(bytes.count),
            csqlite3_transient()
        )
        try connection.check(rc, "binding a parameter")
    }

    func bindText(_ text: String, at index: Int32) throws {
        let rc = Self.withUTF8(text) { sqlite3_bind_text(stmt, index, $0, $1, csqlite3_transient()) }
        try connection.check(rc, "binding a parameter")
    }

    /// A String's UTF-8 bytes and their count, in place: passing the String itself made a C string of it (an
    /// allocation, a copy and a release per bound value; issue 24, a tenth of the writer's own work).
    @inline(__always)
    static func withUTF8(_ text: String, _ body: (UnsafePointer<CChar>, Int32) -> Int32) -> Int32 {
        var text = text
        return text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) {
                body($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, Int32($0.count))
            }
        }
    }

    /// Runs a statement taking (integer, text) without building a bindings array: the hot link inserts.
    func runFast(_ a: Int, _ b: String) throws {
        sqlite3_reset(stmt)
        sqlite3_bind_int64(stmt, 1, Int64(a))
        try bindText(b, at: 2)
        while try step() {}
    }

    /// Runs a statement taking (integer, text, integer) without building a bindings array.
    func runFast(_ a: Int, _ b: String, _ c: Int) throws {
        sqlite3_reset(stmt)
        sqlite3_bind_int64(stmt, 1, Int64(a))
        try bindText(b, at: 2)
        sqlite3_bind_int64(stmt, 3, Int64(c))
        while try step() {}
    }

    /// Steps once; true when a row is available.
    @discardableResult
    func step() throws -> Bool {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        try connection.check(rc, "running a statement")
        return false
    }

    /// Steps to the end, ignoring rows.
    func run(_ values: [SQLValue] = []) throws {
        try bind(values)
        while try step() {}
    }

    /// Number of result columns.
    var columnCount: Int32 { sqlite3_column_count(stmt) }

    func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(stmt, column)) }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(stmt, column) == SQLITE_NULL }

    func columnType(_ column: Int32) -> Int32 { sqlite3_column_type(stmt, column) }

    func columnName(_ column: Int32) -> String { sqlite3_column_name(stmt, column).map { String(cString: $0) } ?? "" }

    func double(_ column: Int32) -> Double { sqlite3_column_double(stmt, column) }

    func text(_ column: Int32) -> String? {
        guard let p = sqlite3_column_text(stmt, column) else { return nil }
        return String(cString: p)
    }

    /// Calls `body` with the column's bytes, valid only during the call.
    func withBlob<T>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let p = sqlite3_column_blob(stmt, column)
        let n = Int(sqlite3_column_bytes(stmt, column))
        return try body(UnsafeRawBufferPointer(start: p, count: n))
    }

    func blob(_ column: Int32) -> [UInt8] {
        withBlob(column) { Array($0) }
    }
}

extension PersonColumns {
    /// `surname = ?N, …, mail = ?N+5`: the six columns set from the parameters ``Statement/bindPersonColumns(of:from:)``
    /// binds from `first` on.
    static func assignments(from first: Int) -> String {
        columns.enumerated().map { "\($1) = ?\($0 + first)" }.joined(separator: ", ")
    }

    /// `?N, …, ?N+5`: the same parameters, for an insert's values in ``columns``' order.
    static func parameters(from first: Int) -> String {
        columns.indices.map { "?\($0 + first)" }.joined(separator: ", ")
    }
}

extension Statement {
    /// Binds the six columns `ent_people` reads (ADR 0018) from the stored form `encoded`, to parameters
    /// `first`…`first + 5` in ``PersonColumns/columns``'s order, NULL where the attribute has no value. Every
    /// statement that writes `persons.attrs` writes them with it, from the same bytes.
    func bindPersonColumns(of encoded: [UInt8], from first: Int32) throws {
        for index in PersonColumns.columns.indices { try bind(.null, at: first + Int32(index)) }
        try PersonColumns.forEachValue(in: encoded) { index, bytes in
            try bindTextBytes(bytes, at: first + Int32(index))
        }
    }
}
