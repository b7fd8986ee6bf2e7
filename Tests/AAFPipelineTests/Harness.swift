import AAFFixtures
import AAFModel
import AAFPipeline
import AAFStore
import AAFTestSupport
import Foundation
import Logging

/// A real SQLite file in a temporary folder, and the importer over it.
final class Harness {
    let temp = TemporaryDirectory("pipeline")
    let lines = RecordingLogHandler.Lines()
    var settings = ImportSettings()
    lazy var databasePath = temp.file("state/aafd.sqlite3")
    private var cachedStore: DirectoryStore?

    var store: DirectoryStore {
        get throws {
            if let cachedStore { return cachedStore }
            temp.folder("state")
            let s = try DirectoryStore(path: databasePath)
            cachedStore = s
            return s
        }
    }

    /// Imports the delivery in `folder`.
    @discardableResult
    func importDelivery(_ folder: String, acceptDepartures: Bool = false, dryRun: Bool = false) throws -> ImportReport {
        let importer = Importer(store: try store, settings: settings, logger: RecordingLogHandler.logger(lines))
        return try importer.importDelivery(
            inDirectory: folder,
            options: ImportOptions(acceptDepartures: acceptDepartures, dryRun: dryRun)
        )
    }

    /// Imports and expects a refusal; returns the failure.
    func refusal(_ folder: String, acceptDepartures: Bool = false) throws -> ImportFailure? {
        do {
            try importDelivery(folder, acceptDepartures: acceptDepartures)
            return nil
        } catch let failure as ImportFailure {
            return failure
        }
    }

    /// A copy of a committed fixture day, which the test may change.
    func copyOfDay(_ compact: String) -> String {
        let target = temp.file("day-\(compact)-\(UUID().uuidString.prefix(6))")
        try! FileManager.default.copyItem(
            atPath: Paths.fixtures.appendingPathComponent("ent1d/\(compact)").path,
            toPath: target
        )
        return target
    }

    /// The committed fixture day.
    func day(_ compact: String) -> String {
        Paths.fixtures.appendingPathComponent("ent1d/\(compact)").path
    }

    /// Writes a delivery of `directory` for `date` into a new folder.
    func write(
        _ directory: SyntheticDirectory,
        date: ExtractDate,
        mode: DeliveryMode = .complet,
        partSize: Int = 40
    ) -> String {
        let folder = temp.folder("written-\(UUID().uuidString.prefix(8))")
        var writer = DeliveryWriter()
        writer.partSize = partSize
        writer.mode = mode
        try! writer.write(directory, date: date, to: folder)
        return folder
    }

    /// Every row of every directory table, in a stable order: two equal dumps mean an unchanged directory.
    func dump() throws -> String {
        try store.directoryDump()
    }

    /// Runs SQL on the database from another process (the sqlite3 shell): how a tampering local user or a
    /// restore would change it, without going through aafd's own connection.
    @discardableResult
    func sqlite3(_ sql: String) throws -> String { try SQLiteShell.run(databasePath, sql) }

    func person(_ jointure: String) throws -> PersonDetails? {
        try store.persons(jointure: jointure).first
    }

    /// Whether the database files (.sqlite3 and -wal) contain `needle` anywhere.
    func databaseFilesContain(_ needle: String) -> Bool {
        fileContains(databasePath, needle) || fileContains(databasePath + "-wal", needle)
    }

    func journal() throws -> [JournalEntry] {
        try store.journal(limit: 100, includeDryRuns: true)
    }
}

extension ExtractDate {
    static func d(_ text: String) -> ExtractDate { ExtractDate(iso: text)! }
}

/// Edits a file in place.
func edit(_ path: String, _ transform: (String) -> String) {
    let text = try! String(contentsOfFile: path, encoding: .utf8)
    try! transform(text).write(toFile: path, atomically: false, encoding: .utf8)
}

/// The files of a delivery folder matching `part` of the name.
func files(in folder: String, matching part: String) -> [String] {
    (try! FileManager.default.contentsOfDirectory(atPath: folder)).filter { $0.contains(part) }.sorted().map {
        folder + "/" + $0
    }
}
