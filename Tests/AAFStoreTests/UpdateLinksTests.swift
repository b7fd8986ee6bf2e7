import AAFModel
import AAFTestSupport
import Testing

@testable import AAFStore

/// An update rewrites a person's links only when one of their link attributes changed (issue 24): a new surname
/// writes the person's row and its feed row, nothing else.
@Suite("Links on update")
struct UpdateLinksTests {
    private func pupil(surname: String, className: String) -> AAFRecord {
        record(
            .pupil,
            "P1",
            [
                ("ENTPersonNom", surname), ("ENTPersonStructRattach", "S1"), ("ENTEleveAutoriteParentale", "G1"),
                ("ENTPersonClasses", "S1$x$x$\(className)$label"), ("ENTPersonGroupes", "not a group"),
            ]
        )
    }

    private func links(_ path: String) throws -> [String] {
        try SQLiteShell.lines(
            path,
            """
            SELECT 'a', structure_jointure FROM attachments UNION ALL SELECT 'g', guardian_jointure FROM guardianships
            UNION ALL SELECT 'm', code FROM memberships ORDER BY 1, 2
            """
        )
    }

    @Test(
        "a new surname changes two rows (the person, the feed), keeps the links and still counts the unreadable link value; a new class rewrites them"
    )
    func surnameThenClass() throws {
        let (temp, path, store) = try freshStore("update-links")
        _ = temp
        let first = try deltaSession(store, day: 1)
        #expect(try first.upsert(pupil(surname: "N", className: "C1")) == .added)
        try first.commit(journal: importEntry(day: 1, mode: .delta))
        let before = try links(path)
        #expect(before == ["a|S1", "g|G1", "m|C1"])

        let second = try deltaSession(store, day: 2)
        let changes = store.totalChanges
        #expect(try second.upsert(pupil(surname: "M", className: "C1")) == .updated)
        #expect(store.totalChanges - changes == 2)
        #expect(second.skippedLinks == ["ENTPersonGroupes": 1])
        #expect(try second.upsert(pupil(surname: "M", className: "C2")) == .updated)
        #expect(second.skippedLinks == ["ENTPersonGroupes": 2])
        try second.commit(journal: importEntry(day: 2, mode: .delta))
        #expect(try links(path) == ["a|S1", "g|G1", "m|C2"])
    }
}
