import AAFModel
import AAFTestSupport
import Foundation
import Testing

@testable import AAFStore

/// The change feed's `updated` rows of people (ADR 0020, migration 16): an import writes its own, with the changed
/// names computed from bytes; the trigger writes every other writer's. Both must say what the trigger's SQL says.
@Suite("The change feed's person updates")
struct PersonUpdateFeedTests {
    /// A generator of stored forms: names whose byte order differs from Swift's String order, values that need
    /// escaping, repeated and reordered names, no value at all.
    private struct Forms {
        var state: UInt64

        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }

        static let names = ["A", "B", "a", "Ab", "ENTPersonNom", "ENTPersonNomPatro", "Zé", "Ze", "Z"]
        static let values = ["1", "2", "x\"y", "back\\slash", "tab\there", "bell\u{7}", "é", "e\u{301}", ""]

        mutating func form() -> [UInt8] {
            var attributes: [AAFAttribute] = []
            for _ in 0..<next(6) {
                let values = (0..<(1 + next(3))).map { _ in Self.values[next(Self.values.count)] }
                attributes.append(AAFAttribute(name: Self.names[next(Self.names.count)], values: values))
            }
            return AttributeCoding.encode(attributes)
        }

        /// A variant of `form`: one attribute's values changed, one dropped, or two swapped.
        mutating func variant(of form: [UInt8]) -> [UInt8] {
            var attributes = AttributeCoding.decode(form)
            guard !attributes.isEmpty else { return self.form() }
            let i = next(attributes.count)
            switch next(3) {
            case 0: attributes[i].values = [Self.values[next(Self.values.count)]]
            case 1: attributes.remove(at: i)
            default: attributes.swapAt(i, next(attributes.count))
            }
            return AttributeCoding.encode(attributes)
        }
    }

    /// SQLite's answer: the trigger's own expression, `old` and `new` bound as text.
    private func sqlite(_ connection: SQLiteConnection, _ old: [UInt8], _ new: [UInt8]) throws -> String {
        let query = try connection.prepare(Migrations.changedAttributeNamesQuery)
        try old.withUnsafeBytes { try query.bindTextBytes($0, at: 1) }
        try new.withUnsafeBytes { try query.bindTextBytes($0, at: 2) }
        #expect(try query.step())
        return query.withBlob(0) { String(decoding: $0, as: UTF8.self) }
    }

    private func swift(_ old: [UInt8], _ new: [UInt8]) -> String? {
        old.withUnsafeBytes { o in
            new.withUnsafeBytes { n in
                AttributeCoding.changedNames(from: o, to: n).map { String(decoding: $0, as: UTF8.self) }
            }
        }
    }

    @Test(
        "the names computed from bytes are SQLite's, on 3,000 pairs of stored forms and on repeated names; a form not in the strict shape is left to SQLite"
    )
    func namesAgreeWithSQLite() throws {
        let temp = TemporaryDirectory("feed-names")
        let connection = try SQLiteConnection(path: temp.file("names.sqlite3"))
        var forms = Forms(state: 20_250_901)
        var pairs: [([UInt8], [UInt8])] = []
        for _ in 0..<1_500 {
            let old = forms.form()
            pairs.append((old, forms.variant(of: old)))
            pairs.append((old, forms.form()))
        }
        // Repeated names (SQLite compares a name's first array), reordered names, and arrays with no value.
        let by = { (text: String) in Array(text.utf8) }
        pairs += [
            (by(#"{"A":["1"],"A":["2"]}"#), by(#"{"A":["1"]}"#)),
            (by(#"{"A":["1"]}"#), by(#"{"A":["2"],"A":["1"]}"#)),
            (by(#"{"A":["1"],"A":["2"]}"#), by(#"{"A":["2"],"A":["1"]}"#)),
            (by(#"{"A":["1"],"B":["2"]}"#), by(#"{"B":["2"],"A":["1"]}"#)),
            (by(#"{"A":[]}"#), by(#"{"A":["1"]}"#)),
            (by(#"{}"#), by(#"{"B":["2"],"A":["1"]}"#)),
            (by(#"{"A":["\u00e9"]}"#), by(#"{"A":["é"]}"#)),
            (by(#"{"A":["x\/y"]}"#), by(#"{"A":["x/y"]}"#)),
        ]
        var compared = 0
        for (old, new) in pairs {
            let mine = try #require(swift(old, new), "\(String(decoding: old, as: UTF8.self))")
            #expect(mine == (try sqlite(connection, old, new)), "\(String(decoding: old + new, as: UTF8.self))")
            compared += 1
        }
        #expect(compared == 3_008)
        // Spaces (SQLite's values drop them), an escaped name, an escape or a control character SQLite refuses,
        // anything after the object: nil, and the import asks SQLite.
        for odd in [
            #"{"A": ["1"]}"#, #" {"A":["1"]}"#, #"{"\u0041":["1"]}"#, #"{"A":["\q"]}"#, #"{"A":["\u00g1"]}"#,
            "{\"A\":[\"\t\"]}", #"{"A":["1"]}x"#, #"{"A":"1"}"#, "", #"{"A":["1"]"#,
        ] {
            #expect(swift(by(odd), by(#"{"A":["1"]}"#)) == nil, "\(odd)")
            #expect(swift(by(#"{"A":["1"]}"#), by(odd)) == nil, "\(odd)")
        }
    }

    private func pupil(_ jointure: String, surname: String, className: String) -> AAFRecord {
        record(.pupil, jointure, [("ENTPersonNom", surname), ("ENTPersonClasses", "S1$x$x$\(className)$label")])
    }

    /// The people's `updated` and `reactivated` rows after `cursor`: jointure, change, attributes, was_active.
    private func rows(_ path: String, after cursor: String) throws -> [String] {
        try SQLiteShell.lines(
            path,
            """
            SELECT jointure, change, coalesce(attributes, '-'), was_active FROM changes
                WHERE seq > \(cursor) AND kind = 'person' AND change IN ('updated', 'reactivated') ORDER BY seq
            """
        )
    }

    @Test(
        "an import's updates: the names, was_active (departed, restricted, created this morning), a reactivation before its update; a hand edit after the import is recorded by the trigger; a stored form out of shape gets SQLite's names"
    )
    func importAndHandEdits() throws {
        let (temp, path, store) = try freshStore("person-update-feed")
        _ = temp
        let first = try deltaSession(store, day: 1)
        for jointure in ["P1", "P2", "P3"] { _ = try first.upsert(pupil(jointure, surname: "N", className: "C1")) }
        try first.commit(journal: importEntry(day: 1, mode: .delta))
        try SQLiteShell.run(path, "UPDATE persons SET departed_on = '2025-09-01' WHERE jointure = 'P2'")
        try SQLiteShell.run(path, "UPDATE persons SET restricted = 1 WHERE jointure = 'P3'")
        var cursor = try SQLiteShell.run(path, "SELECT max(seq) FROM changes")

        let second = try deltaSession(store, day: 2)
        #expect(try second.upsert(pupil("P1", surname: "M", className: "C2")) == .updated)
        #expect(try second.upsert(pupil("P2", surname: "N", className: "C2")) == .reactivatedAndUpdated)
        #expect(try second.upsert(pupil("P3", surname: "M", className: "C1")) == .updated)
        #expect(try second.upsert(pupil("P4", surname: "N", className: "C1")) == .added)
        #expect(try second.upsert(pupil("P4", surname: "M", className: "C1")) == .updated)
        try second.commit(journal: importEntry(day: 2, mode: .delta))
        #expect(
            try rows(path, after: cursor) == [
                #"P1|updated|["ENTPersonClasses","ENTPersonNom"]|1"#,
                "P2|reactivated|-|0",
                #"P2|updated|["ENTPersonClasses"]|0"#,
                #"P3|updated|["ENTPersonNom"]|0"#,
                #"P4|updated|["ENTPersonNom"]|0"#,
            ]
        )

        // Another process edits a person by hand after the import: the trigger records it.
        cursor = try SQLiteShell.run(path, "SELECT max(seq) FROM changes")
        try SQLiteShell.run(path, #"UPDATE persons SET attrs = '{"ENTPersonNom": ["N"]}' WHERE jointure = 'P1'"#)
        #expect(try rows(path, after: cursor) == [#"P1|updated|["ENTPersonClasses","ENTPersonNom"]|1"#])

        // That form has a space: the next import asks SQLite for the names.
        cursor = try SQLiteShell.run(path, "SELECT max(seq) FROM changes")
        let third = try deltaSession(store, day: 3)
        #expect(try third.upsert(pupil("P1", surname: "N", className: "C3")) == .updated)
        try third.commit(journal: importEntry(day: 3, mode: .delta))
        #expect(try rows(path, after: cursor) == [#"P1|updated|["ENTPersonClasses"]|1"#])
        #expect(try SQLiteShell.run(path, "SELECT source FROM change_context") == "admin")
    }

    @Test(
        "migration 16 over a directory an earlier import left with source 'import': a hand edit afterwards is recorded by the trigger"
    )
    func migrationFromVersion15() throws {
        let temp = TemporaryDirectory("person-update-migration")
        let path = temp.file("aafd.sqlite3")
        do {
            let connection = try database(atVersion: 15, path: path)
            try connection.execute(
                """
                INSERT INTO persons (category, jointure, attrs, first_seen, updated_on)
                    VALUES ('Eleve', 'P1', '{"ENTPersonNom":["N"]}', '2025-09-01', '2025-09-01');
                UPDATE change_context SET source = 'import', extract_date = '2025-09-01', persons_before = 1 WHERE id = 1;
                """
            )
        }
        _ = try DirectoryStore(path: path)
        #expect(try SQLiteShell.run(path, "PRAGMA user_version") == "\(Migrations.all.count)")
        try SQLiteShell.run(path, #"UPDATE persons SET attrs = '{"ENTPersonNom":["M"]}' WHERE jointure = 'P1'"#)
        #expect(try rows(path, after: "0") == [#"P1|updated|["ENTPersonNom"]|1"#])
    }
}
