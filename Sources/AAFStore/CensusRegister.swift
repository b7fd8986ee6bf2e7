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
    /// Two passes, each in the order of an index, each person's schools gathered and counted once there. The first
    /// reads the attachments of active people other than guardians, by person, and keeps each one's schools (a pair
    /// of 32-bit numbers per attachment, about 1 MB at 100,000 pupils). The second reads only the active guardians
    /// and their pupils' row ids, and takes each pupil's schools from what the first kept: a pupil who is not there
    /// is departed or has no school, as the join on the pupil and its attachments said before (issue 24: that join,
    /// a pupil's row and attachments read at random for each of 175,000 guardianships, was 0.36–0.40 s of the
    /// census at 100,000 pupils). The same count in SQL (GROUP BY and count(DISTINCT) over joins; CensusTests keeps
    /// it as the reference) took 0.65 s, at the import's end where nothing else runs.
    func count() throws -> [Row] {
        var schoolIndex: [String: Int] = [:]
        var schools: [String] = []
        func school(_ key: String) -> Int {
            if let known = schoolIndex[key] { return known }
            schoolIndex[key] = schools.count
            schools.append(key)
            return schools.count - 1
        }
        /// (school, category) → people; the guardians' category is the census's own.
        var people: [SchoolCategory: Int] = [:]
        /// Every active person's schools but guardians', by row id: the first pass's rows, in its order; a row id
        /// beyond 32 bits (SQLite allows 64; none is ever near) goes to `beyond`.
        var schoolsByPerson: [(person: Int32, school: Int32)] = []
        var beyond: [Int: [Int]] = [:]
        /// Runs `sql` (rows: a person's id, their category, then what `schoolsOf` reads a row's schools from, in
        /// person order) and counts each person once at each of their schools.
        func countPeople(_ sql: String, schoolsOf: (Statement, inout [Int]) -> Void) throws {
            let rows = try connection.prepare(sql)
            var person = -1
            var category = ""
            var personSchools: [Int] = []
            func endPerson() {
                for school in personSchools {
                    people[SchoolCategory(school: school, category: category), default: 0] += 1
                }
                personSchools.removeAll(keepingCapacity: true)
            }
            while try rows.step() {
                let id = rows.int(0)
                if id != person {
                    endPerson()
                    person = id
                    category = rows.text(1) ?? ""
                }
                schoolsOf(rows, &personSchools)
            }
            endPerson()
        }
        let guardian = AAFCategory.guardian.rawValue
        try countPeople(
            """
            SELECT a.person_id, p.category, coalesce(s.uai, a.structure_jointure)
                FROM attachments a CROSS JOIN persons p ON p.id = a.person_id
                LEFT JOIN structures s ON s.jointure = a.structure_jointure
                WHERE p.departed_on IS NULL AND p.category <> '\(guardian)' ORDER BY a.person_id
            """
        ) { row, personSchools in
            let index = school(row.text(2) ?? "")
            if !personSchools.contains(index) { personSchools.append(index) }
            if let person = Int32(exactly: row.int(0)) {
                schoolsByPerson.append((person, Int32(index)))
            } else {
                beyond[row.int(0), default: []].append(index)
            }
        }
        try countPeople(
            """
            SELECT gp.id, '\(guardian)', g.pupil_id
                FROM persons gp CROSS JOIN guardianships g ON g.guardian_jointure = gp.jointure
                WHERE gp.category = '\(guardian)' AND gp.departed_on IS NULL
                ORDER BY gp.id
            """
        ) { row, personSchools in
            guard let pupil = Int32(exactly: row.int(2)) else {
                for index in beyond[row.int(2)] ?? [] where !personSchools.contains(index) {
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
        var rows = people.map { Row(uai: schools[$0.key.school], category: $0.key.category, people: $0.value) }
        rows += try connection.rows(
            "SELECT '*', category, count(*) FROM persons WHERE departed_on IS NULL GROUP BY category"
        ) { Row(uai: $0.text(0) ?? "", category: $0.text(1) ?? "", people: $0.int(2)) }
        return rows.sorted { ($0.uai, $0.category) < ($1.uai, $1.category) }
    }

    private struct SchoolCategory: Hashable {
        var school: Int
        var category: String
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
