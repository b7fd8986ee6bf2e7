import AAFTestSupport
import Foundation
import Testing

@testable import AAFStore

/// Migration 15 (ADR 0019, issue 24): `persons`' category CHECK in comparisons instead of an `IN` list, which SQLite
/// codes with a temporary table built at every inserted row. The same values pass and fail, read by a second process.
@Suite("persons' category CHECK")
struct CategoryCheckTests {
    static let insert =
        "INSERT INTO persons (category, jointure, attrs, first_seen, updated_on) VALUES (?1, 'J', '{}', '2026-09-01', '2026-09-01')"

    @Test("inserting a person builds no temporary table, in a new directory and in one migrated from version 14")
    func noTemporaryTable() throws {
        let temp = TemporaryDirectory("category-check")
        let fresh = temp.file("fresh.sqlite3")
        // The connection that ran the migrations plans from the new schema too (it writes the first import).
        let store = try DirectoryStore(path: fresh)
        let opcodes = try store.connection.rows("EXPLAIN \(Self.insert)", [.text("Eleve")]) { $0.text(1) ?? "" }
        #expect(!opcodes.contains("OpenEphemeral"), "the migrating connection")
        let old = temp.file("old.sqlite3")
        // Before migration 15: the IN list, and its temporary table (the test reads the plan, not a timing).
        do {
            let connection = try database(atVersion: 14, path: old)
            let opcodes = try connection.rows("EXPLAIN \(Self.insert)", [.text("Eleve")]) { $0.text(1) ?? "" }
            #expect(opcodes.contains("OpenEphemeral"), "version 14 builds one per row")
        }
        _ = try DirectoryStore(path: old)
        for path in [fresh, old] {
            // A second process reads the schema as stored and plans the insert from it.
            let plan = try SQLiteShell.lines(
                path,
                "EXPLAIN \(Self.insert.replacingOccurrences(of: "?1", with: "'Eleve'"))"
            )
            #expect(!plan.contains { $0.contains("OpenEphemeral") }, "\(path)")
            let schema = try SQLiteShell.run(path, "SELECT sql FROM sqlite_schema WHERE name = 'persons'")
            #expect(
                schema.contains("CHECK (category = 'Eleve' OR category = 'PersEducNat' OR category = 'PersRelEleve')")
            )
            #expect(!schema.contains(" IN ("))
            #expect(try SQLiteShell.run(path, "PRAGMA integrity_check") == "ok")
        }
    }

    @Test("the three categories pass and anything else fails, as before: other case, blank, NULL, another category")
    func sameRule() throws {
        let temp = TemporaryDirectory("category-check-rule")
        let path = temp.file("aafd.sqlite3")
        _ = try DirectoryStore(path: path)
        for (index, category) in ["Eleve", "PersEducNat", "PersRelEleve"].enumerated() {
            try SQLiteShell.run(
                path,
                "INSERT INTO persons (category, jointure, attrs, first_seen, updated_on) VALUES ('\(category)', 'J\(index)', '{}', '2026-09-01', '2026-09-01')"
            )
        }
        for category in ["'eleve'", "'Eleve '", "''", "NULL", "'EtabEducNat'", "'Eleve'' OR 1'"] {
            #expect(throws: SQLiteShell.Failure.self, "\(category)") {
                try SQLiteShell.run(
                    path,
                    "INSERT INTO persons (category, jointure, attrs, first_seen, updated_on) VALUES (\(category), 'K', '{}', '2026-09-01', '2026-09-01')"
                )
            }
        }
        #expect(try SQLiteShell.run(path, "SELECT count(*) FROM persons") == "3")
    }
}
