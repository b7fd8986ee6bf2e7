import AAFModel
internal import CSQLite3
import Foundation

extension DirectoryStore {
    /// Every row of every table (SQLite's own aside), in one read snapshot, for a data return protocol
    /// (`aafd export-all`, convention art. 16): `body(table, line)` gets each row as one JSON object, column by
    /// column; a BLOB (the stored form of attributes, ADR 0004) as its UTF-8 text when it is text, else as
    /// `{"base64": …}`. Holds personal data: only ever written to a 0600 file.
    /// - Returns: rows per table.
    public func dumpAllTables(_ body: (String, String) throws -> Void) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        try connection.execute("BEGIN")
        defer { try? connection.execute("COMMIT") }
        let tables = try connection.rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ) { $0.text(0) }
        for table in tables {
            let stmt = try connection.prepare("SELECT * FROM \"\(table.replacingOccurrences(of: "\"", with: "\"\""))\"")
            var names: [String] = []
            counts[table] = 0
            while try stmt.step() {
                if names.isEmpty {
                    names = (0..<stmt.columnCount).map { stmt.columnName($0) }
                }
                var row: [String: Any] = [:]
                for i in 0..<stmt.columnCount {
                    switch stmt.columnType(i) {
                    case SQLITE_NULL: row[names[Int(i)]] = NSNull()
                    case SQLITE_INTEGER: row[names[Int(i)]] = stmt.int(i)
                    case SQLITE_FLOAT: row[names[Int(i)]] = stmt.double(i)
                    case SQLITE_BLOB:
                        let bytes = stmt.blob(i)
                        if let text = String(validating: bytes, as: UTF8.self) {
                            row[names[Int(i)]] = text
                        } else {
                            row[names[Int(i)]] = ["base64": Data(bytes).base64EncodedString()]
                        }
                    default: row[names[Int(i)]] = stmt.text(i) ?? ""
                    }
                }
                let data = try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys])
                try body(table, String(decoding: data, as: UTF8.self))
                counts[table, default: 0] += 1
            }
        }
        return counts
    }
}
