import AAFModel
import Foundation

/// Each import's census of active people by school and category (issue 14): counts only (R15)
/// (`store.census`).
public struct CensusRegister {
    let store: DirectoryStore
    var connection: SQLiteConnection { store.connection }
    /// The census of an import (issue 14): active people by school (UAI, or the structure's jointure when it has
    /// none) and category, and each category's total under `*`. Guardians count at their pupils' schools. Counts
    /// only (R15); what a security incident's estimate of the people concerned is computed from. Inside the
    /// import's transaction; purged with the journal (R11).
    ///
    /// Recorded only when it differs from the last census: an unchanged re-import writes nothing (the last census
    /// still describes the directory).
    func record(runID: Int, finishedAt: String) throws {
        let current = try count()
        let last = try connection.rows(
            "SELECT uai, category, people FROM census WHERE run_id = (SELECT max(run_id) FROM census)"
        ) { Row(uai: $0.text(0) ?? "", category: $0.text(1) ?? "", people: $0.int(2)) }
        guard Set(current) != Set(last) else { return }
        let insert = try connection.prepare(
            "INSERT INTO census (run_id, finished_at, uai, category, people) VALUES (?1, ?2, ?3, ?4, ?5)"
        )
        for row in current {
            try insert.run([.int(runID), .text(finishedAt), .text(row.uai), .text(row.category), .int(row.people)])
        }
    }

    struct Row: Hashable {
        var uai: String
        var category: String
        var people: Int
    }

    /// Active people by school (a structure's UAI, or the attachment's structure jointure when the structure has
    /// none or is unknown) and category; guardians at their active pupils' schools, each once per school; and each
    /// category's total under `*`. Sorted by school, then category.
    ///
    /// Who is active comes from the state index alone (`activePeople`): no pass reads a person's row. The first pass
    /// reads the attachments in their key's order (by person) and keeps each active pupil's or staff member's schools
    /// (a pair of 32-bit numbers per attachment, about 1 MB at 100,000 pupils). The second reads the guardians' keys
    /// and their guardianships, both in the order of their indexes (by jointure), and takes each pupil's schools from
    /// what the first kept: a pupil who is not there is departed or has no school (issue 24: read in row id order,
    /// each guardian's guardianships were a search at random in their index, which outgrows the cache at 500,000
    /// pupils: the census took 2.6 s there). The same count in SQL (GROUP BY and count(DISTINCT) over joins;
    /// CensusTests keeps it as the reference) took 0.65 s at 100,000 pupils, at the import's end.
    func count() throws -> [Row] {
        var schoolIndex: [String: Int] = [:]
        var schools: [String] = []
        func school(_ key: String) -> Int {
            if let known = schoolIndex[key] { return known }
            schoolIndex[key] = schools.count
            schools.append(key)
            return schools.count - 1
        }
        var pupils = Bitmap()
        var staff = Bitmap()
        var guardians = Bitmap()
        let totals: [(AAFCategory, Int)] = [
            (.pupil, try store.activePeople(.pupil, into: &pupils)),
            (.staff, try store.activePeople(.staff, into: &staff)),
            (.guardian, try store.activePeople(.guardian, into: &guardians)),
        ]
        /// (school, category) → people; the guardians' category is the census's own.
        var people: [SchoolCategory: Int] = [:]
        /// Every active pupil's schools, by row id: the first pass's pupils' rows, in its order (the guardian pass
        /// needs no staff member's); a row id beyond 32 bits (SQLite allows 64; none is ever near) goes to `beyond`.
        /// Its room is taken once, for one school per pupil and a sixteenth more, rather than grown by doubling: 4.3 MB
        /// at 500,000 pupils, the largest block the import's end holds (issue 24).
        var schoolsByPerson: [(person: Int32, school: Int32)] = []
        schoolsByPerson.reserveCapacity(totals[0].1 + totals[0].1 / 16 + 16)
        var beyond: [Int: [Int]] = [:]
        /// Runs `sql` (rows: a person's id, then what `schoolsOf` reads a row's schools from, grouped by person),
        /// and counts each person `categoryOf` names (nil: not counted) once at each of their schools.
        func countPeople(
            _ sql: String,
            categoryOf: (Int) -> AAFCategory?,
            schoolsOf: (Statement, Int, inout [Int]) -> Void
        ) throws {
            let rows = try connection.prepare(sql)
            var person = -1
            var category: AAFCategory?
            var personSchools: [Int] = []
            func endPerson() {
                if let category {
                    for school in personSchools {
                        people[SchoolCategory(school: school, category: category), default: 0] += 1
                    }
                }
                personSchools.removeAll(keepingCapacity: true)
            }
            while try rows.step() {
                let id = rows.int(0)
                if id != person {
                    endPerson()
                    person = id
                    category = categoryOf(id)
                }
                if category != nil { schoolsOf(rows, id, &personSchools) }
            }
            endPerson()
        }
        // A school is its UAI, or its jointure when the académie gave none or the structure is not stored: read once
        // here rather than joined at every attachment (issue 24: the join was most of the pass at 500,000 pupils).
        var uaiOf: [String: String] = [:]
        for (jointure, uai) in try connection.rows(
            "SELECT jointure, uai FROM structures WHERE uai IS NOT NULL",
            [],
            {
                ($0.text(0) ?? "", $0.text(1) ?? "")
            }
        ) {
            uaiOf[jointure] = uai
        }
        var schoolOfJointure: [String: Int] = [:]
        try countPeople(
            Self.attachmentPass,
            categoryOf: { pupils.contains($0) ? .pupil : (staff.contains($0) ? .staff : nil) }
        ) { row, person, personSchools in
            let jointure = row.text(1) ?? ""
            let index: Int
            if let known = schoolOfJointure[jointure] {
                index = known
            } else {
                index = school(uaiOf[jointure] ?? jointure)
                schoolOfJointure[jointure] = index
            }
            if !personSchools.contains(index) { personSchools.append(index) }
            guard pupils.contains(person) else { return }
            if let person = Int32(exactly: person) {
                schoolsByPerson.append((person, Int32(index)))
            } else {
                beyond[person, default: []].append(index)
            }
        }
        try countPeople(
            Self.guardianPass,
            categoryOf: { guardians.contains($0) ? .guardian : nil }
        ) { row, _, personSchools in
            guard let pupil = Int32(exactly: row.int(1)) else {
                for index in beyond[row.int(1)] ?? [] where !personSchools.contains(index) {
                    personSchools.append(index)
                }
                return
            }
            // The pupil's first pair (the pairs are in row id order), then each of its schools.
            var low = 0
            var high = schoolsByPerson.count
            while low < high {
                let middle = (low + high) / 2
                if schoolsByPerson[middle].person < pupil { low = middle + 1 } else { high = middle }
            }
            while low < schoolsByPerson.count, schoolsByPerson[low].person == pupil {
                let index = Int(schoolsByPerson[low].school)
                if !personSchools.contains(index) { personSchools.append(index) }
                low += 1
            }
        }
        var rows = people.map {
            Row(uai: schools[$0.key.school], category: $0.key.category.rawValue, people: $0.value)
        }
        rows += totals.filter { $0.1 > 0 }.map { Row(uai: "*", category: $0.0.rawValue, people: $0.1) }
        return rows.sorted { ($0.uai, $0.category) < ($1.uai, $1.category) }
    }

    /// The first pass: every attachment, in its key's order (by person). CensusTests checks that each pass reads an
    /// index in its own order, nothing sorted and no row of a person read.
    static let attachmentPass = "SELECT person_id, structure_jointure FROM attachments ORDER BY person_id"

    /// The second pass: each guardian's key and its guardianships, both in the order of their indexes (by jointure).
    static let guardianPass = """
        SELECT gp.id, g.pupil_id
            FROM persons gp CROSS JOIN guardianships g ON g.guardian_jointure = gp.jointure
            WHERE gp.category = '\(AAFCategory.guardian.rawValue)' ORDER BY gp.category, gp.jointure
        """

    private struct SchoolCategory: Hashable {
        var school: Int
        var category: AAFCategory
    }

    /// The census of the last import finished at or before `instant` (ISO 8601 UTC), and that import's end; nil
    /// when no import had finished by then.
    public func atOrBefore(
        _ instant: String
    ) throws -> (finishedAt: String, rows: [(uai: String, category: String, people: Int)])? {
        guard
            let finished = try connection.scalarText(
                "SELECT max(finished_at) FROM census WHERE finished_at <= ?1",
                [.text(instant)]
            )
        else { return nil }
        let rows = try connection.rows(
            "SELECT uai, category, people FROM census WHERE finished_at = ?1 ORDER BY uai, category",
            [.text(finished)]
        ) { row in (uai: row.text(0) ?? "", category: row.text(1) ?? "", people: row.int(2)) }
        return (finished, rows)
    }
}
