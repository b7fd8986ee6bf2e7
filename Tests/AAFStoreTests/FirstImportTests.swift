import AAFModel
import AAFStore
import AAFTestSupport
import Foundation
import Testing

/// Issue 24: into an empty directory, a person is inserted without looking it up first; the insertion's own check of
/// `(category, jointure)` must then send a person listed twice, and a guardian no pupil points to, the ordinary way,
/// with the outcomes and rows an import into a directory that had people gives.
@Suite("A first import inserts without looking up")
struct FirstImportTests {
    /// The outcomes of one delivery applied to a store, and the rows it leaves (with the stored columns).
    private func apply(
        _ records: [AAFRecord],
        to store: DirectoryStore,
        path: String,
        day: Int
    ) throws -> (
        outcomes: [ApplyOutcome], rows: [String]
    ) {
        let session = try store.beginImport(
            extractDate: try #require(ExtractDate(iso: "2025-09-0\(day)")),
            mode: .delta
        )
        let outcomes = try records.map { try session.upsert($0) }
        try session.commit(journal: importEntry(day: day, mode: .delta))
        let rows = try SQLiteShell.lines(
            path,
            """
            SELECT p.category, p.jointure, p.attrs, p.surname,
                (SELECT group_concat(guardian_jointure) FROM guardianships WHERE pupil_id = p.id)
            FROM persons p WHERE jointure <> 'X0' ORDER BY p.category, p.jointure
            """
        )
        return (outcomes, rows)
    }

    @Test(
        "a person listed twice is updated, a guardian nobody points to is not stored: as into a directory with people"
    )
    func listedTwice() throws {
        let delivery = [
            record(.pupil, "P1", [("ENTPersonNom", "UN"), ("ENTEleveAutoriteParentale", "G1$1$1$1$0$0")]),
            record(.guardian, "G2", [("ENTPersonNom", "PERSONNE")]),
            record(.pupil, "P1", [("ENTPersonNom", "UN BIS"), ("ENTEleveAutoriteParentale", "G1$1$1$1$0$0")]),
            record(.staff, "T1", [("ENTPersonNom", "PROF")]),
            record(.staff, "T1", [("ENTPersonNom", "PROF")]),
            record(.guardian, "G1", [("ENTPersonNom", "PARENT")]),
            record(.guardian, "G1", [("ENTPersonNom", "PARENT BIS")]),
            record(.guardian, "G1", [("ENTPersonNom", "PARENT BIS")]),
        ]
        let (firstTemp, firstPath, first) = try freshStore("first-import")
        _ = firstTemp
        let fresh = try apply(delivery, to: first, path: firstPath, day: 1)
        #expect(
            fresh.outcomes == [
                .added, .unreferencedGuardian, .updated, .added, .unchanged, .added, .updated, .unchanged,
            ]
        )
        // The same delivery into a directory that already had someone (so every person is looked up first).
        let (otherTemp, otherPath, other) = try freshStore("first-import-reference")
        _ = otherTemp
        _ = try apply([record(.staff, "X0", [("ENTPersonNom", "AUTRE")])], to: other, path: otherPath, day: 1)
        let looked = try apply(delivery, to: other, path: otherPath, day: 2)
        #expect(looked.outcomes == fresh.outcomes)
        #expect(fresh.rows == looked.rows)
        #expect(fresh.rows.count == 3 && fresh.rows.contains { $0.hasSuffix("|UN BIS|G1") })
    }
}
