import AAFModel
import AAFTestSupport
import Foundation
import Testing

@testable import AAFStore

/// Issue 24: each import session starts write-back of the WAL on a thread of its own; committed, rolled back or
/// abandoned, the session stops it, and it leaves no descriptor behind. It never opens the database file: closing a
/// descriptor on it would release SQLite's POSIX locks (the R13 tests failed when it did).
@Suite("The write-back pacer")
struct WritebackPacerTests {
    /// How many of the process's descriptors are open on `path` (Linux): other tests run meanwhile, so only this
    /// test's database counts.
    static func descriptors(on path: String) throws -> Int {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        return try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").filter {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == target
        }.count
    }

    @Test(
        "20 sessions committed, rolled back and dropped: no descriptor left on the files, the rows committed are there"
    )
    func nothingLeft() throws {
        let (temp, path, store) = try freshStore("writeback")
        _ = temp
        // One session first, so that SQLite's own files (the WAL, its index) are open before counting.
        let warm = try store.beginImport(extractDate: try #require(ExtractDate(iso: "2025-09-01")), mode: .delta)
        warm.rollback()
        let before = (try Self.descriptors(on: path), try Self.descriptors(on: path + "-wal"))
        #expect(before.1 == 1, "SQLite's own descriptor on the WAL")
        for day in 1...20 {
            let session = try store.beginImport(
                extractDate: try #require(ExtractDate(iso: String(format: "2025-09-%02d", day))),
                mode: .delta
            )
            _ = try session.upsert(record(.staff, "T\(day)", [("ENTPersonNom", "PROF")]))
            // While the session runs, the pacer holds one descriptor more on each file.
            let deadline = Date().addingTimeInterval(5)
            while try Self.descriptors(on: path + "-wal") == before.1, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.005)
            }
            #expect(try Self.descriptors(on: path + "-wal") == before.1 + 1, "day \(day): the pacer's descriptor")
            // Never one on the database file: closing it would release SQLite's locks on that file.
            #expect(try Self.descriptors(on: path) == before.0, "day \(day): the database file")
            switch day % 3 {
            case 0: try session.commit(journal: importEntry(day: 1, mode: .delta))
            case 1: session.rollback()
            default: break  // dropped: its deinit rolls back
            }
        }
        // A stopped pacer has closed its descriptors before `stop()` returns.
        #expect(try Self.descriptors(on: path) == before.0, "descriptors on the database")
        #expect(try Self.descriptors(on: path + "-wal") == before.1, "descriptors on the WAL")
        #expect(
            try SQLiteShell.run(path, "SELECT group_concat(jointure) FROM (SELECT jointure FROM persons ORDER BY id)")
                == "T3,T6,T9,T12,T15,T18"
        )
    }
}
