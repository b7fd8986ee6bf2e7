import AAFTestSupport
import Foundation
import Testing

@testable import AAFModel
@testable import AAFStore

/// Issue 24, ADR 0018: `ent_people`'s six value columns are stored in `persons`, written by every statement that
/// writes the attributes, from the same bytes. SQLite's own reading of the stored JSON (`json_extract`, the
/// expressions the view had) is the reference they are held to, after every kind of write and after migration 14.
@Suite("ent_people's stored columns")
struct PersonColumnsTests {
    /// SQLite's reading of the six columns from the stored JSON, in the order of ``PersonColumns/columns``.
    static let reference = PersonColumns.columns.indices.map { PersonColumns.sql($0) }

    /// A person's columns where any differs from SQLite's reading of its attributes (jointure: column).
    static func disagreements(_ path: String) throws -> [String] {
        let differs = PersonColumns.columns.indices.map {
            "SELECT jointure || ': \(PersonColumns.columns[$0])' FROM persons WHERE \(PersonColumns.columns[$0]) IS NOT \(reference[$0])"
        }
        return try SQLiteShell.lines(path, differs.joined(separator: " UNION ALL "))
    }

    /// Values that make the reading hard: escapes, control characters, combining marks, several values, a repeated
    /// attribute, and birth dates in every shape that is not `dd/mm/yyyy` in ASCII digits.
    static let awkward: [[AAFAttribute]] = [
        [
            AAFAttribute(name: "ENTPersonNom", values: ["D'ARTAGNAN \"le\" Gascon\\"]),
            AAFAttribute(name: "ENTPersonPrenom", values: ["Zoe\u{301}", "Second"]),
            AAFAttribute(name: "ENTPersonDateNaissance", values: ["01/02/2015"]),
            AAFAttribute(name: "ENTPersonMail", values: ["a\tb@x.fr", "c@x.fr"]),
        ],
        [
            AAFAttribute(name: "ENTPersonNomPatro", values: ["ligne\nsuite\r"]),
            AAFAttribute(name: "ENTPersonCivilite", values: ["\u{1}M.", "Mme"]),
            AAFAttribute(name: "ENTPersonDateNaissance", values: ["1/02/2015"]),
            // Repeated: the first occurrence counts, for json_extract as for the reading.
            AAFAttribute(name: "ENTPersonNom", values: ["PREMIER"]),
            AAFAttribute(name: "ENTPersonNom", values: ["SECOND"]),
        ],
        [
            AAFAttribute(
                name: "ENTPersonDateNaissance",
                values: ["\u{661}\u{660}/\u{660}\u{662}/\u{662}\u{660}\u{661}\u{665}"]
            ),
            AAFAttribute(name: "ENTPersonPrenom", values: ["👩‍👩‍👧 \u{600}x"]),
        ],
        [AAFAttribute(name: "ENTPersonDateNaissance", values: ["01-02-2015"])],
        [AAFAttribute(name: "ENTPersonDateNaissance", values: ["01/02/20155"])],
        [AAFAttribute(name: "ENTPersonDateNaissance", values: ["ab/cd/efgh", "01/02/2015"])],
        [AAFAttribute(name: "ENTPersonDateNaissance", values: ["00/00/0000"])],
        [AAFAttribute(name: "ENTPersonAutresPrenoms", values: ["Sans les six"])],
        [],
    ]

    @Test("the Swift reading gives what json_extract gives, value by value, over awkward values")
    func readingEqualsSQLite() throws {
        let (temp, _, store) = try freshStore("person-columns")
        _ = temp
        for (index, name) in PersonColumns.attributes.enumerated() {
            #expect(PersonColumns.column(Array(name.utf8)) == index, "\(name)")
        }
        for near in ["ENTPersonNoM", "ENTPersonNomPatrO", "ENTPersonMails", "ENTPersonAutresPrenoms", "ENTPerson", ""] {
            #expect(PersonColumns.column(Array(near.utf8)) == nil, "\(near)")
        }
        // Forms the encoder does not write: spaces and an empty first occurrence (read by the general reader), an
        // escape it never writes (`\/`, in the one-pass reading's shape).
        let other = [
            #"{ "ENTPersonNom" : [ "A b" , "C" ] , "ENTPersonNom":["D"], "ENTPersonMail": ["m\"x"] }"#,
            #"{"ENTPersonNom":[],"ENTPersonNom":["x"],"ENTPersonPrenom":["y"]}"#,
            #"{"ENTPersonDateNaissance":["01\/02\/2015"]}"#,
        ].map { Array($0.utf8) }
        for (case_, encoded) in (Self.awkward.map { AttributeCoding.encode($0) } + other).enumerated() {
            var mine = [String?](repeating: nil, count: PersonColumns.columns.count)
            PersonColumns.forEachValue(in: encoded) { index, bytes in
                mine[index] = String(decoding: bytes, as: UTF8.self)
            }
            let sql =
                "SELECT "
                + PersonColumns.columns.indices.map { PersonColumns.sql($0, attrs: "?1") }
                .joined(separator: ", ")
            let theirs = try store.connection.rows(sql, [.textBytes(encoded)]) { row in
                PersonColumns.columns.indices.map { row.text(Int32($0)) }
            }
            #expect(theirs.first == mine, "case \(case_)")
            // The encoder's bytes take the one-pass reading, the other forms the general reader.
            var found = PersonColumns.Found()
            let canonical = encoded.withUnsafeBufferPointer { PersonColumns.scanCanonical($0, into: &found) }
            #expect(canonical == !(Self.awkward.count..<(Self.awkward.count + 2)).contains(case_), "case \(case_)")
        }
    }

    private func person(_ category: AAFCategory, _ jointure: String, _ attributes: [AAFAttribute]) -> AAFRecord {
        AAFRecord(kind: .add, category: category, jointure: jointure, attributes: attributes, line: 1)
    }

    @Test("an import's insertions and updates and a consent's revocation write the columns with the attributes")
    func everyWriteWritesThem() throws {
        let (temp, path, store) = try freshStore("person-columns-writes")
        _ = temp
        let first = try store.beginImport(extractDate: try #require(ExtractDate(iso: "2025-09-01")), mode: .complet)
        for (index, attributes) in Self.awkward.enumerated() {
            _ = try first.upsert(person(.pupil, "P\(index)", attributes))
        }
        let staff = [
            AAFAttribute(name: "ENTPersonNom", values: ["MARTIN"]),
            AAFAttribute(name: "ENTPersonMail", values: ["m@x.fr"]),
            AAFAttribute(name: "ENTPersonAdresse", values: ["1 rue"]),
        ]
        _ = try first.upsert(person(.staff, "T1", staff))
        try first.commit(journal: importEntry(day: 1, mode: .complet))
        #expect(try Self.disagreements(path) == [])
        #expect(
            try SQLiteShell.run(path, "SELECT count(surname), count(birth_date), count(mail) FROM persons") == "3|2|2"
        )

        // The next morning: every pupil's attributes move one place (each row rewritten), one value changes.
        let second = try store.beginImport(extractDate: try #require(ExtractDate(iso: "2025-09-02")), mode: .complet)
        for index in Self.awkward.indices {
            let next = Self.awkward[(index + 1) % Self.awkward.count]
            #expect(try second.upsert(person(.pupil, "P\(index)", next)) != .added)
        }
        _ = try second.upsert(person(.staff, "T1", [AAFAttribute(name: "ENTPersonNom", values: ["DURAND"])] + staff))
        try second.commit(journal: importEntry(day: 2, mode: .complet))
        #expect(try Self.disagreements(path) == [])
        #expect(try SQLiteShell.run(path, "SELECT surname, mail FROM persons WHERE jointure = 'T1'") == "DURAND|m@x.fr")

        // A consent's revocation rewrites the attributes: the columns are written from the same bytes (made stale
        // first here, so that only that write can mend them).
        try store.grantConsent(jointure: "T1", field: "home-address", recordedBy: "test", at: "2025-09-02T08:00:00Z")
        _ = try SQLiteShell.run(path, "UPDATE persons SET surname = 'STALE', mail = NULL WHERE jointure = 'T1'")
        #expect(
            try store.revokeConsent(
                jointure: "T1",
                field: "home-address",
                recordedBy: "test",
                at: "2025-09-02T09:00:00Z"
            )
        )
        #expect(try Self.disagreements(path) == [])
        #expect(try SQLiteShell.run(path, "SELECT surname, mail FROM persons WHERE jointure = 'T1'") == "DURAND|m@x.fr")
    }

    @Test("migration 14 fills a version-13 directory's rows; ent_people reads what the view it replaces read")
    func migrationFromVersion13() throws {
        let temp = TemporaryDirectory("person-columns-migration")
        let path = temp.file("aafd.sqlite3")
        do {
            let connection = try database(atVersion: 13, path: path)
            for (index, attributes) in Self.awkward.enumerated() {
                // One departed and one restricted row: the view leaves them out, as before.
                try connection.prepare(
                    """
                    INSERT INTO persons (category, jointure, attrs, first_seen, updated_on, departed_on, restricted)
                    VALUES (?1, ?2, ?3, '2025-09-01', '2025-09-01', ?4, ?5)
                    """
                ).run([
                    .text(index % 3 == 0 ? "Eleve" : index % 3 == 1 ? "PersEducNat" : "PersRelEleve"),
                    .text("J\(index)"), .textBytes(AttributeCoding.encode(attributes)),
                    index == 2 ? .text("2025-09-01") : .null, .int(index == 4 ? 1 : 0),
                ])
            }
        }
        // Every column of every row, NULL told from '' (json_array), in the view's column order.
        let query = """
            SELECT json_group_array(json_array(jointure, category, surname, birth_surname, first_name, civility,
                birth_date, mail, first_seen, updated_on, attributes)) FROM (SELECT * FROM ent_people ORDER BY jointure)
            """
        let before = try SQLiteShell.run(path, query)
        #expect(before.contains("D'ARTAGNAN"))
        _ = try DirectoryStore(path: path)
        #expect(try SQLiteShell.run(path, "PRAGMA user_version") == "\(Migrations.all.count)")
        #expect(try Self.disagreements(path) == [])
        #expect(try SQLiteShell.run(path, query) == before)
        #expect(try SQLiteShell.run(path, "SELECT count(*) FROM ent_people") == "7")
        // The view reads the stored columns, and no longer extracts from the JSON.
        let view = try SQLiteShell.run(path, "SELECT sql FROM sqlite_master WHERE name = 'ent_people'")
        #expect(!view.contains("json_extract") && view.contains("birth_date"))
    }
}
