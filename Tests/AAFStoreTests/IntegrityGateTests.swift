import AAFModel
import AAFStore
import AAFTestSupport
import Foundation
import Testing

/// The damage check run beside the work (issue 24): every commit waits for it, and a damaged database commits
/// nothing, whatever the writer touched.
@Suite("The damage check beside the work")
struct IntegrityGateTests {
    /// A directory with a table of 2 MB that no import touches, one of whose pages is then scribbled over.
    private func directory(damaged: Bool) throws -> (TemporaryDirectory, String) {
        let (temp, path, _) = try freshStore("gate")
        try SQLiteShell.run(
            path,
            """
            CREATE TABLE filler (x BLOB);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
                INSERT INTO filler SELECT randomblob(1000) FROM n;
            PRAGMA wal_checkpoint(TRUNCATE);
            """
        )
        if damaged {
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let page = 16384
            let start = (bytes.count / page - 3) * page
            for i in start..<(start + 64) { bytes[i] ^= 0xFF }
            try bytes.write(to: URL(fileURLWithPath: path))
        }
        return (temp, path)
    }

    private func importOneStructure(_ store: DirectoryStore) throws {
        let session = try store.beginImport(extractDate: try #require(ExtractDate(iso: "2025-09-02")), mode: .delta)
        let school = AAFRecord(
            kind: .add,
            category: .structure,
            jointure: "S1",
            attributes: [AAFAttribute(name: "ENTStructureUAI", values: ["0750001A"])],
            line: 1
        )
        #expect(try session.upsert(school) == .added)
        try session.commit(journal: importEntry(day: 2, mode: .delta))
    }

    @Test(
        "a damaged database opened with the check beside: the import's commit is refused, the file unchanged (20 runs: the commit comes before or after the check's answer)"
    )
    func damagedCommitsNothing() throws {
        for run in 0..<20 {
            let (temp, path) = try directory(damaged: true)
            _ = temp
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            let store = try DirectoryStore(path: path, checkBeside: true)
            if run % 2 == 1 { _ = store.damage() }  // the answer first, then the commit
            #expect(throws: (any Error).self, "run \(run)") { try importOneStructure(store) }
            #expect(store.damage() != nil, "run \(run)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "run \(run)")
            // Opened the usual way, the same file is refused at once.
            #expect(throws: DatabaseDamaged.self) { _ = try DirectoryStore(path: path) }
        }
    }

    @Test("a sound database opened with the check beside: the commit waits for the check, then goes through")
    func soundCommits() throws {
        let (temp, path) = try directory(damaged: false)
        _ = temp
        let store = try DirectoryStore(path: path, checkBeside: true)
        try importOneStructure(store)
        #expect(store.damage() == nil)
        #expect(try SQLiteShell.run(path, "SELECT jointure FROM structures") == "S1")
    }
}
