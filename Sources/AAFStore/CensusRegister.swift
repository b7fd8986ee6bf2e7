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
    /// Two passes in person order, merged here: the attachments of active people, and the guardianships of active
    /// guardians. The same count in SQL (GROUP BY and count(DISTINCT) over joins; CensusTests keeps it as the
    /// reference) took 0.65 s at 100,000 pupils, at the import's end where nothing else runs (issue 24). Memory: one
    /// pair per guardianship, 16 bytes each.
    func count() throws -> [Row] {
        var schoolIndex: [String: Int32] = [:]
        var schools: [String] = []
        var categoryIndex: [String: Int] = [:]
        var categories: [String] = []
        /// (school, category) → people.
        var people: [Int: Int] = [:]
        /// (school, guardian id) for every active guardian of an active person attached there.
        var pairs: [(school: Int32, guardian: Int)] = []
        let guardianCategory = AAFCategory.guardian.rawValue
        let attachments = try connection.prepare(
            """
            SELECT a.person_id, p.category, coalesce(s.uai, a.structure_jointure)
                FROM attachments a CROSS JOIN persons p ON p.id = a.person_id
                LEFT JOIN structures s ON s.jointure = a.structure_jointure
                WHERE p.departed_on IS NULL ORDER BY a.person_id
            """
        )
        let guardianships = try connection.prepare(
            """
            SELECT g.pupil_id, gp.id FROM guardianships g CROSS JOIN persons gp
                    ON gp.category = '\(guardianCategory)' AND gp.jointure = g.guardian_jointure
                WHERE gp.departed_on IS NULL ORDER BY g.pupil_id
            """
        )
        var guardianRow = try guardianships.step()
        var person = -1
        var category = 0
        var personSchools: [Int32] = []
        /// Ends one person's attachments: counts them at each school once, and pairs their guardians with them.
        func endPerson() throws {
            guard person >= 0 else { return }
            if categories[category] != guardianCategory {
                for school in personSchools { people[Int(school) << 2 | category, default: 0] += 1 }
            }
            while guardianRow, guardianships.int(0) < person { guardianRow = try guardianships.step() }
            while guardianRow, guardianships.int(0) == person {
                let guardian = guardianships.int(1)
                for school in personSchools { pairs.append((school, guardian)) }
                guardianRow = try guardianships.step()
            }
        }
        while try attachments.step() {
            let id = attachments.int(0)
            if id != person {
                try endPerson()
                person = id
                personSchools.removeAll(keepingCapacity: true)
                let text = attachments.text(1) ?? ""
                if let known = categoryIndex[text] {
                    category = known
                } else {
                    category = categories.count
                    categoryIndex[text] = category
                    categories.append(text)
                }
            }
            let key = attachments.text(2) ?? ""
            let school: Int32
            if let known = schoolIndex[key] {
                school = known
            } else {
                school = Int32(schools.count)
                schoolIndex[key] = school
                schools.append(key)
            }
            if !personSchools.contains(school) { personSchools.append(school) }
        }
        try endPerson()
        var rows: [Row] = people.map { key, count in
            Row(uai: schools[key >> 2], category: categories[key & 3], people: count)
        }
        pairs.sort { $0.school != $1.school ? $0.school < $1.school : $0.guardian < $1.guardian }
        var i = 0
        while i < pairs.count {
            let school = pairs[i].school
            var distinct = 0
            var previous = -1
            while i < pairs.count, pairs[i].school == school {
                if pairs[i].guardian != previous { distinct += 1 }
                previous = pairs[i].guardian
                i += 1
            }
            rows.append(Row(uai: schools[Int(school)], category: guardianCategory, people: distinct))
        }
        rows += try connection.rows(
            "SELECT '*', category, count(*) FROM persons WHERE departed_on IS NULL GROUP BY category"
        ) { Row(uai: $0.text(0) ?? "", category: $0.text(1) ?? "", people: $0.int(2)) }
        return rows.sorted { ($0.uai, $0.category) < ($1.uai, $1.category) }
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
