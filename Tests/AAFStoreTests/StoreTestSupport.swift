import AAFModel
import AAFTestSupport

@testable import AAFStore

/// A new directory store in a folder of its own: the folder (the caller keeps it while it works), the database's
/// path, the store.
func freshStore(_ name: String) throws -> (temp: TemporaryDirectory, path: String, store: DirectoryStore) {
    let temp = TemporaryDirectory(name)
    let path = temp.file("aafd.sqlite3")
    return (temp, path, try DirectoryStore(path: path))
}

/// An add request for `jointure`, each attribute with one value.
func record(_ category: AAFCategory, _ jointure: String, _ attributes: [(String, String)]) -> AAFRecord {
    AAFRecord(
        kind: .add,
        category: category,
        jointure: jointure,
        attributes: attributes.map { AAFAttribute(name: $0.0, values: [$0.1]) },
        line: 1
    )
}

/// A Delta import of the extract of 2025-09-0`day` into `store`.
func deltaSession(_ store: DirectoryStore, day: Int) throws -> ImportSession {
    guard let date = ExtractDate(iso: "2025-09-0\(day)") else { throw StoreError("no such test day: \(day)") }
    return try store.beginImport(extractDate: date, mode: .delta)
}

/// The journal row of an import of the extract of 2025-09-0`day`, finished that morning.
func importEntry(day: Int, mode: DeliveryMode) -> JournalEntry {
    var report = ImportReport(outcome: .imported, dryRun: false)
    report.extractDate = ExtractDate(iso: "2025-09-0\(day)")
    report.mode = mode
    return JournalEntry(report, startedAt: "2025-09-0\(day)T06:00:00Z", finishedAt: "2025-09-0\(day)T06:00:01Z")
}

/// A new database at schema `version`, as an aafd of that version left it (its first `version` migrations applied),
/// for a migration test to fill before a `DirectoryStore` opens it and migrates the rest.
func database(atVersion version: Int, path: String) throws -> SQLiteConnection {
    let connection = try SQLiteConnection(path: path)
    for sql in Migrations.all.prefix(version) { try connection.execute(sql) }
    try connection.execute("PRAGMA user_version = \(version)")
    return connection
}
