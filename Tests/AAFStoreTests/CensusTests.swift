import AAFModel
import AAFTestSupport
import Foundation
import Testing

@testable import AAFStore

/// The census each import records (issue 14), counted in two merged passes (issue 24), against its meaning in SQL.
@Suite("The census")
struct CensusTests {
    /// What the census means, as one SQL query (the census's first form): active people by school (UAI, or the
    /// attachment's structure jointure) and category, each once; guardians at their active pupils' schools; totals.
    static let reference = """
        SELECT coalesce(s.uai, a.structure_jointure), p.category, count(DISTINCT p.id)
            FROM persons p JOIN attachments a ON a.person_id = p.id
            LEFT JOIN structures s ON s.jointure = a.structure_jointure
            WHERE p.departed_on IS NULL AND p.category <> 'PersRelEleve'
            GROUP BY coalesce(s.uai, a.structure_jointure), p.category
        UNION ALL
        SELECT coalesce(s.uai, a.structure_jointure), 'PersRelEleve', count(DISTINCT gp.id)
            FROM persons gp JOIN guardianships g ON g.guardian_jointure = gp.jointure
            JOIN persons p ON p.id = g.pupil_id AND p.departed_on IS NULL
            JOIN attachments a ON a.person_id = p.id
            LEFT JOIN structures s ON s.jointure = a.structure_jointure
            WHERE gp.category = 'PersRelEleve' AND gp.departed_on IS NULL
            GROUP BY coalesce(s.uai, a.structure_jointure)
        UNION ALL
        SELECT '*', category, count(*) FROM persons WHERE departed_on IS NULL GROUP BY category
        ORDER BY 1, 2
        """

    private func record(_ category: AAFCategory, _ jointure: String, _ attributes: [(String, [String])]) -> AAFRecord {
        AAFRecord(
            kind: .add,
            category: category,
            jointure: jointure,
            attributes: attributes.map { AAFAttribute(name: $0.0, values: $0.1) },
            line: 1
        )
    }

    private func pupil(_ jointure: String, schools: [String], guardians: [String]) -> AAFRecord {
        record(
            .pupil,
            jointure,
            [("ENTPersonStructRattach", schools), ("ENTEleveAutoriteParentale", guardians.map { "\($0)$1$1$1$0$0" })]
        )
    }

    @Test(
        "after imports, departures and a guardian's departure, the census equals its meaning in SQL: two structures of one UAI, a structure without UAI, an unknown one, a guardian of pupils in two schools"
    )
    func equalsReference() throws {
        let (temp, path, store) = try freshStore("census")
        _ = temp
        let structures = [
            record(.structure, "S1", [("ENTStructureUAI", ["0750001A"])]),
            record(.structure, "S2", [("ENTStructureUAI", ["0750001A"])]),
            record(.structure, "S3", []),
        ]
        let people = [
            pupil("E1", schools: ["S1", "S2"], guardians: ["G1", "G2"]),
            pupil("E2", schools: ["S3"], guardians: ["G1"]),
            pupil("E3", schools: ["SX"], guardians: ["G3"]),
            pupil("E4", schools: ["S1"], guardians: ["G1", "G3"]),
            pupil("E5", schools: [], guardians: ["G2"]),
            record(.staff, "T1", [("ENTPersonStructRattach", ["S1", "S3"])]),
            record(.staff, "T2", [("ENTPersonStructRattach", ["S2"])]),
            record(.guardian, "G1", []), record(.guardian, "G2", []), record(.guardian, "G3", []),
        ]
        let session = try store.beginImport(extractDate: try #require(ExtractDate(iso: "2025-09-01")), mode: .complet)
        for r in structures + people { _ = try session.upsert(r) }
        try session.commit(journal: importEntry(day: 1, mode: .complet))
        let first = try census(store)
        #expect(first == (try SQLiteShell.run(path, Self.reference)))
        // The UAI counts E1 once (two structures, one UAI) and E4; G1 once though two of its pupils are there.
        #expect(first.contains("0750001A|Eleve|2") && first.contains("0750001A|PersRelEleve|3"))
        #expect(first.contains("SX|Eleve|1") && first.contains("S3|PersEducNat|1"))

        // A pupil whose row id is beyond 32 bits (SQLite allows 64; the census keeps such ids apart), at S1, with G3.
        try SQLiteShell.run(
            path,
            """
            INSERT INTO persons (id, category, jointure, attrs, first_seen, updated_on)
                VALUES (3000000000, 'Eleve', 'E9', '{}', '2025-09-01', '2025-09-01');
            INSERT INTO attachments (person_id, structure_jointure) VALUES (3000000000, 'S1');
            INSERT INTO guardianships (pupil_id, guardian_jointure, position) VALUES (3000000000, 'G3', 0);
            """
        )
        // A pupil departs, a guardian departs, a staff member is deleted.
        let due = try #require(ExtractDate(iso: "2026-09-01"))
        let second = try store.beginImport(extractDate: try #require(ExtractDate(iso: "2025-09-02")), mode: .delta)
        let gone: [(AAFCategory, String, Departure)] = [
            (.pupil, "E4", .markDeparted(purgeDue: due)), (.guardian, "G2", .markDeparted(purgeDue: due)),
            (.staff, "T2", .delete),
        ]
        for (category, jointure, departure) in gone {
            let delete = AAFRecord(kind: .delete, category: category, jointure: jointure, encoded: [], line: 1)
            #expect(try second.delete(delete, departure: departure) == .departed)
        }
        try second.commit(journal: importEntry(day: 2, mode: .delta))
        let after = try census(store)
        #expect(after == (try SQLiteShell.run(path, Self.reference)))
        // E1 and E9 at the UAI; G1 for E1, and G3 for E9 (its other pupil there, E4, departed); G2 departed.
        #expect(after.contains("0750001A|Eleve|2\n0750001A|PersEducNat|1\n0750001A|PersRelEleve|2"))
    }

    @Test("each pass reads an index in its own order: nothing sorted, no person's row read (issue 24)")
    func plans() throws {
        let (temp, path, _) = try freshStore("census-plans")
        _ = temp
        let attachments = try SQLiteShell.run(path, "EXPLAIN QUERY PLAN " + CensusRegister.attachmentPass)
        #expect(attachments.contains("SCAN attachments"), "\(attachments)")
        let guardians = try SQLiteShell.run(path, "EXPLAIN QUERY PLAN " + CensusRegister.guardianPass)
        #expect(guardians.contains("USING COVERING INDEX sqlite_autoindex_persons_1"), "\(guardians)")
        #expect(guardians.contains("USING COVERING INDEX guardianships_guardian"), "\(guardians)")
        for plan in [attachments, guardians] { #expect(!plan.contains("TEMP B-TREE"), "\(plan)") }
    }

    /// The last census, as the sqlite3 shell prints the reference.
    private func census(_ store: DirectoryStore) throws -> String {
        let rows = try #require(try store.census.atOrBefore("9999-12-31T00:00:00Z")).rows
        return rows.map { "\($0.uai)|\($0.category)|\($0.people)" }.joined(separator: "\n")
    }

    @Test(
        "a pupil's schools kept in 16 bits, or beside them: one school, the same twice, two, a school index past 16 bits, none; row ids outside the pupils' span (issue 24)"
    )
    func pupilSchools() {
        var pupils = Bitmap()
        for id in [70, 71, 72, 73, 75, 76, 77, 200] { pupils.insert(id) }
        #expect(pupils.first == 70 && pupils.last == 200 && Bitmap().first == nil && Bitmap().last == nil)
        var schools = CensusRegister.PupilSchools(pupils: pupils)
        schools.add(3, to: 70)
        schools.add(3, to: 71)
        schools.add(3, to: 71)
        schools.add(3, to: 72)
        schools.add(9, to: 72)
        schools.add(3, to: 72)
        schools.add(70_000, to: 73)
        schools.add(0, to: 200)
        schools.add(65_533, to: 76)  // the last index that fits beside UInt16.max, which marks "elsewhere"
        schools.add(65_534, to: 77)
        schools.add(65_533, to: 77)
        func of(_ pupil: Int) -> [Int] {
            var found: [Int] = []
            schools.forEach(of: pupil) { found.append($0) }
            return found
        }
        #expect(of(70) == [3] && of(71) == [3] && of(72) == [3, 9] && of(73) == [70_000] && of(200) == [0])
        #expect(of(75).isEmpty && of(74).isEmpty && of(69).isEmpty && of(201).isEmpty && of(-1).isEmpty)
        #expect(of(76) == [65_533] && of(77) == [65_534, 65_533])
        var none: [Int] = []
        CensusRegister.PupilSchools(pupils: Bitmap()).forEach(of: 0) { none.append($0) }
        #expect(none.isEmpty)
    }
}
