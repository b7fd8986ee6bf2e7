import AAFModel
import AAFStore
import AAFTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The store on its own: a real SQLite file, read back by a second process (the sqlite3 shell).
@Suite("The directory store")
struct StoreTests {
    private func sqlite3(_ path: String, _ sql: String) throws -> String { try SQLiteShell.run(path, sql) }

    private func entry(_ outcome: ImportOutcome, counts: DeliveryCounts = DeliveryCounts()) -> JournalEntry {
        var report = ImportReport(outcome: outcome, dryRun: false)
        report.extractDate = ExtractDate(iso: "2025-09-01")
        report.mode = .complet
        report.counts = counts
        report.droppedAttributes = ["ENTEleveINE": 3]
        return JournalEntry(report, startedAt: "2025-09-01T06:00:00Z", finishedAt: "2025-09-01T06:00:01Z")
    }

    @Test("a new database is 0600 in a folder of its own, at the latest schema; opening it again migrates nothing")
    func freshDatabase() throws {
        let temp = TemporaryDirectory("store")
        let path = temp.file("aafd.sqlite3")
        let store = try DirectoryStore(path: path)
        let version = try sqlite3(path, "PRAGMA user_version")
        #expect(Int(version) ?? 0 >= 6)
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        _ = store
        let again = try DirectoryStore(path: path)
        #expect(again.totalChanges == 0)
        #expect(try sqlite3(path, "PRAGMA user_version") == version)
    }

    @Test("eight connections opening a new database at once all succeed, and migrate it once (repeated 20 times)")
    func concurrentFirstOpen() throws {
        for run in 0..<20 {
            let temp = TemporaryDirectory("store-race")
            let path = temp.file("aafd.sqlite3")
            let failures = Failures()
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                do { _ = try DirectoryStore(path: path) } catch { failures.add("\(error)") }
            }
            #expect(failures.all.isEmpty, "run \(run): \(failures.all)")
            #expect(try sqlite3(path, "SELECT count(*) FROM sqlite_master WHERE name = 'persons'") == "1")
        }
    }

    @Test("a file that is not a SQLite database is refused and left exactly as it was, mode included")
    func notADatabase() throws {
        let temp = TemporaryDirectory("store-not-db")
        let path = temp.write("aafd.sqlite3", "root:x:0:0:root:/root:/bin/bash\n")
        chmod(path, 0o644)
        #expect(throws: (any Error).self) { try DirectoryStore(path: path) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "root:x:0:0:root:/root:/bin/bash\n")
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o644)
    }

    @Test("opening an existing database for a question never creates one")
    func existingOnly() throws {
        let temp = TemporaryDirectory("store-existing")
        let path = temp.file("aafd.sqlite3")
        #expect(throws: (any Error).self) { try DirectoryStore(existingAt: path, readOnly: true) }
        #expect(!FileManager.default.fileExists(atPath: path))
        let store = try DirectoryStore(path: path)
        try store.appendJournal(entry(.refused))
        let reader = try DirectoryStore(existingAt: path, readOnly: true)
        #expect(try reader.journal(limit: 5).count == 1)
        #expect(throws: (any Error).self) { try reader.appendJournal(entry(.failed)) }
    }

    @Test("the journal keeps counts by category and dropped names through its JSON columns (R13)")
    func journalRoundTrip() throws {
        let temp = TemporaryDirectory("store-journal")
        let store = try DirectoryStore(path: temp.file("aafd.sqlite3"))
        var pupils = CategoryCounts()
        pupils.records = 60
        pupils.added = 58
        try store.appendJournal(entry(.imported, counts: DeliveryCounts([.pupil: pupils])))
        let read = try #require(try store.journal(limit: 1).first)
        #expect(read.counts[.pupil] == pupils)
        #expect(read.counts[.staff] == nil)
        #expect(read.dropped == ["ENTEleveINE": 3])
        #expect(
            read.outcome == .imported && read.mode == .complet && read.extractDate == ExtractDate(iso: "2025-09-01")
        )
        #expect(try store.journal(limit: 5, outcome: .refused).isEmpty)
    }

    @Test("a session rolled back leaves the directory as it was; one committed is seen by another process")
    func sessionAllOrNothing() throws {
        let temp = TemporaryDirectory("store-session")
        let path = temp.file("aafd.sqlite3")
        let store = try DirectoryStore(path: path)
        let before = try store.directoryDump()
        let date = try #require(ExtractDate(iso: "2025-09-01"))
        let school = record(.structure, "S1", [("ENTStructureJointure", "S1"), ("ENTStructureUAI", "0940001A")])
        do {
            let session = try store.beginImport(extractDate: date, mode: .complet)
            #expect(try session.upsert(school) == .added)
            session.rollback()
        }
        #expect(try store.directoryDump() == before)
        #expect(try sqlite3(path, "SELECT count(*) FROM structures") == "0")
        let session = try store.beginImport(extractDate: date, mode: .complet)
        #expect(try session.upsert(school) == .added)
        try session.commit(journal: entry(.imported))
        #expect(try sqlite3(path, "SELECT jointure, uai FROM structures") == "S1|0940001A")
        #expect(try store.lastImportedExtractDate() == date)
        #expect(try store.counts()[.structure] == 1)
    }

    /// Issue 24: the delivery reader reads a record's links ahead on the parser's thread only while the writer is
    /// behind; the writer reads them itself otherwise. Both must write the same rows and count the same skipped values.
    @Test("links read ahead on the parser's thread write what the writer reads itself: rows, positions, skipped counts")
    func linksReadAhead() throws {
        let pupil = AAFRecord(
            kind: .add,
            category: .pupil,
            jointure: "P1",
            attributes: [
                AAFAttribute(name: "ENTPersonStructRattach", values: ["S1", "S2"]),
                AAFAttribute(name: "ENTEleveAutoriteParentale", values: ["G1$1$2", "$bad", "G2"]),
                AAFAttribute(name: "ENTPersonClasses", values: ["S1$x$y$CM1A$CM1 A", "three$fields$only"]),
                AAFAttribute(name: "ENTPersonGroupes", values: ["S1$x$y$G7$Chorale"]),
                // A repeated attribute: the first occurrence counts, as `values(_:)` reads it.
                AAFAttribute(name: "ENTPersonStructRattach", values: ["S9"]),
            ],
            line: 1
        )
        let staff = AAFRecord(
            kind: .add,
            category: .staff,
            jointure: "T1",
            attributes: [
                AAFAttribute(name: "ENTPersonStructRattach", values: ["S1"]),
                AAFAttribute(name: "ENTPersonFonctions", values: ["S1$ENS$Enseignant$-$-", "bad"]),
                AAFAttribute(name: "ENTEnsFonctionDir", values: ["S1", "S2"]),
            ],
            line: 2
        )
        var dumps: [String] = []
        var skipped: [SkippedLinks] = []
        for readAhead in [false, true] {
            let temp = TemporaryDirectory("store-links")
            let path = temp.file("aafd.sqlite3")
            let store = try DirectoryStore(path: path)
            let session = try store.beginImport(
                extractDate: try #require(ExtractDate(iso: "2025-09-01")),
                mode: .complet
            )
            for var record in [pupil, staff] {
                if readAhead { record.links = RecordLinks(record) }
                #expect(try session.upsert(record) == .added)
            }
            skipped.append(session.skippedLinks)
            try session.commit(journal: entry(.imported))
            dumps.append(
                try ["attachments", "guardianships", "memberships", "functions", "directorships"].map {
                    try sqlite3(path, "SELECT * FROM \($0) ORDER BY 1, 2")
                }.joined(separator: "\n--\n")
            )
        }
        #expect(dumps[0] == dumps[1])
        #expect(skipped[0] == skipped[1])
        #expect(
            skipped[0] == [
                "ENTEleveAutoriteParentale": 1, "ENTPersonClasses": 1, "ENTPersonFonctions": 1,
            ]
        )
        // The guardians keep their positions in the list, the unreadable one's included; S9 is not attached.
        #expect(dumps[0].contains("G2|2") && !dumps[0].contains("S9"))
    }
}

/// Errors collected from concurrent work.
final class Failures: @unchecked Sendable {
    // @unchecked Sendable: `lock` guards `items`.
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ item: String) { lock.withLock { items.append(item) } }
    var all: [String] { lock.withLock { items } }
}
