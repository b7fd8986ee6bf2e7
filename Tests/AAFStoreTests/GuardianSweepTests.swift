import AAFModel
import AAFStore
import AAFTestSupport
import Foundation
import Testing

/// Issue 24: the guardian sweep (R4, R7) is skipped when every stored guardian was found referenced by an active pupil
/// as the session applied them. A guardian the session vouched for and then deleted must not stand in for one it never
/// checked.
@Suite("The guardian sweep is skipped only when every stored guardian was checked")
struct GuardianSweepTests {
    private func pupil(_ jointure: String, guardian: String) -> AAFRecord {
        record(.pupil, jointure, [("ENTPersonNom", "ELEVE"), ("ENTEleveAutoriteParentale", "\(guardian)$1$1$1$0$0")])
    }

    private func delete(_ category: AAFCategory, _ jointure: String) -> AAFRecord {
        AAFRecord(kind: .delete, category: category, jointure: jointure, attributes: [], line: 1)
    }

    @Test("R7: a guardian left without an active pupil departs, though as many guardians were checked and deleted")
    func checkedThenDeleted() throws {
        let (temp, path, store) = try freshStore("guardian-sweep")
        _ = temp
        let day1 = try store.beginImport(extractDate: try #require(ExtractDate(iso: "2025-09-01")), mode: .delta)
        _ = try day1.upsert(pupil("P1", guardian: "G1"))
        _ = try day1.upsert(record(.guardian, "G1", [("ENTPersonNom", "PARENT")]))
        let first = try day1.sweepGuardians(departure: .delete)
        #expect(first.unreferencedDeleted == 0 && first.departedWithPupils == 0)
        try day1.commit(journal: importEntry(day: 1, mode: .delta))

        let leaving = Departure.markDeparted(purgeDue: try #require(ExtractDate(iso: "2026-01-01")))
        let day2 = try store.beginImport(extractDate: try #require(ExtractDate(iso: "2025-09-02")), mode: .delta)
        #expect(try day2.delete(delete(.pupil, "P1"), departure: leaving) == .departed)
        #expect(try day2.upsert(pupil("P2", guardian: "G2")) == .added)
        // G2 is checked (P2 points to it) as it is added, then deleted: one guardian checked, one stored (G1).
        #expect(try day2.upsert(record(.guardian, "G2", [("ENTPersonNom", "AUTRE")])) == .added)
        #expect(try day2.delete(delete(.guardian, "G2"), departure: .delete) == .departed)
        let swept = try day2.sweepGuardians(departure: leaving)
        #expect(swept.unreferencedDeleted == 0)
        #expect(swept.departedWithPupils == 1)
        try day2.commit(journal: importEntry(day: 2, mode: .delta))
        #expect(
            try SQLiteShell.lines(path, "SELECT jointure, departed_on FROM persons WHERE category = 'PersRelEleve'")
                == ["G1|2025-09-02"]
        )
    }
}
