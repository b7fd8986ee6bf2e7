import AAFModel
import AAFStore
import AAFTestSupport
import Foundation
import Testing

/// The change feed's group events: when no group had an active member before (issue 24: gathered in Swift, recorded in
/// SQLite's order), against the SQL they replace; and when groups were there, each group told apart by its bytes.
@Suite("The change feed's group events")
struct GroupFeedTests {
    /// What is recorded: every group of an active member, once, in SQLite's BINARY order.
    static let reference = """
        SELECT DISTINCT m.kind, m.structure_jointure || '$' || m.code FROM memberships m
            JOIN persons p ON p.id = m.person_id AND p.departed_on IS NULL ORDER BY m.kind, m.structure_jointure, m.code
        """

    private func pupil(_ jointure: String, classes: [String], groups: [String] = []) -> AAFRecord {
        AAFRecord(
            kind: .add,
            category: .pupil,
            jointure: jointure,
            attributes: [
                AAFAttribute(name: "ENTPersonStructRattach", values: ["S1"]),
                AAFAttribute(name: "ENTPersonClasses", values: classes.map { "S1$x$x$\($0)$label" }),
                AAFAttribute(name: "ENTPersonGroupes", values: groups.map { "S2$x$x$\($0)$label" }),
            ],
            line: 1
        )
    }

    @Test(
        "no active group before: every active member's group once, in SQLite's byte order (accents, decomposed, case, prefixes); a departed pupil's groups left out"
    )
    func createdGroups() throws {
        let (temp, path, store) = try freshStore("group-feed")
        _ = temp
        // A pupil whose groups then all leave with them: no group has an active member afterwards.
        let first = try deltaSession(store, day: 1)
        _ = try first.upsert(pupil("E9", classes: ["GONE"], groups: ["GONE-G"]))
        try first.commit(journal: importEntry(day: 1, mode: .delta))
        let second = try deltaSession(store, day: 2)
        let leave = AAFRecord(kind: .delete, category: .pupil, jointure: "E9", encoded: [], line: 1)
        #expect(
            try second.delete(leave, departure: .markDeparted(purgeDue: try #require(ExtractDate(iso: "2026-09-01"))))
                == .departed
        )
        try second.commit(journal: importEntry(day: 2, mode: .delta))
        let before = try SQLiteShell.run(path, "SELECT max(rowid) FROM changes")

        let third = try deltaSession(store, day: 3)
        let codes = ["b", "B", "é", "e\u{301}", "f", "ab", "a", "Z", "zz", "ß", "CM1"]
        for (i, code) in codes.enumerated() {
            _ = try third.upsert(pupil("E\(i)", classes: [code, "CM1"], groups: i % 2 == 0 ? [code] : []))
        }
        try third.commit(journal: importEntry(day: 3, mode: .delta))
        let recorded = try SQLiteShell.run(
            path,
            "SELECT category, jointure FROM changes WHERE kind = 'group' AND rowid > \(before) ORDER BY rowid"
        )
        #expect(recorded == (try SQLiteShell.run(path, Self.reference)))
        #expect(!recorded.contains("GONE") && recorded.contains("class|S1$CM1\nclass|S1$Z"))
        #expect(recorded.split(separator: "\n").count == codes.count + (codes.count + 1) / 2)
    }

    @Test(
        "groups already there: two codes that differ only by Unicode normalisation are two groups, each with its own events"
    )
    func normalisationPairs() throws {
        let (temp, path, store) = try freshStore("group-feed-nfd")
        _ = temp
        let (composed, decomposed) = ("\u{E9}", "e\u{301}")  // é, and e with a combining acute accent
        let first = try deltaSession(store, day: 1)
        _ = try first.upsert(pupil("E1", classes: [composed], groups: [composed]))
        _ = try first.upsert(pupil("E2", classes: [decomposed]))
        try first.commit(journal: importEntry(day: 1, mode: .delta))
        let before = try SQLiteShell.run(path, "SELECT max(rowid) FROM changes")

        // Only the decomposed class gains a member; a decomposed group appears beside the composed one.
        let second = try deltaSession(store, day: 2)
        _ = try second.upsert(pupil("E3", classes: [decomposed], groups: [decomposed]))
        try second.commit(journal: importEntry(day: 2, mode: .delta))
        let recorded = try SQLiteShell.run(
            path,
            "SELECT change, category, hex(jointure) FROM changes WHERE kind = 'group' AND rowid > \(before) ORDER BY rowid"
        )
        // Classes are in structure S1, groups in S2 (`pupil`).
        let hex = { (structure: String, code: String) in
            "\(structure)$\(code)".utf8.map { String(format: "%02X", $0) }.joined()
        }
        #expect(recorded == "updated|class|\(hex("S1", decomposed))\ncreated|group|\(hex("S2", decomposed))")

        // The decomposed class's members leave: it goes, the composed one stays.
        let third = try deltaSession(store, day: 3)
        for jointure in ["E2", "E3"] {
            let leave = AAFRecord(kind: .delete, category: .pupil, jointure: jointure, encoded: [], line: 1)
            _ = try third.delete(
                leave,
                departure: .markDeparted(purgeDue: try #require(ExtractDate(iso: "2026-09-01")))
            )
        }
        try third.commit(journal: importEntry(day: 3, mode: .delta))
        let last = try SQLiteShell.run(
            path,
            "SELECT change, category, hex(jointure) FROM changes WHERE kind = 'group' AND rowid > \(before) ORDER BY rowid"
        )
        #expect(last == recorded + "\ndeleted|class|\(hex("S1", decomposed))\ndeleted|group|\(hex("S2", decomposed))")
    }
}
