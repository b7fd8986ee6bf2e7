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
    /// reads the attachments in their key's order (by person) and keeps each active pupil's schools (``PupilSchools``:
    /// 16 bits per pupil, about 1 MB at 500,000 pupils). The second reads the guardians' keys
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
        /// Every active pupil's schools, for the guardian pass (which needs no staff member's), from the first pass.
        var pupilSchools = PupilSchools(pupils: pupils)
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
            if pupils.contains(person) { pupilSchools.add(index, to: person) }
        }
        try countPeople(
            Self.guardianPass,
            categoryOf: { guardians.contains($0) ? .guardian : nil }
        ) { row, _, personSchools in
            pupilSchools.forEach(of: row.int(1)) { index in
                if !personSchools.contains(index) { personSchools.append(index) }
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

    /// Each active pupil's schools (indexes into the census's schools), by row id: 16 bits per row id from the first
    /// active pupil's to the last one's, the school's index + 1 (0: none); a pupil of two schools or more, or of a
    /// school whose index does not fit, is marked `elsewhere` and kept in `more`. About 1 MB at 500,000 pupils, whose
    /// row ids a first import gives in one run (issue 24: a sorted pair of 32-bit numbers per attachment took 4.3 MB,
    /// the peak of the import's end).
    struct PupilSchools {
        static let elsewhere = UInt16.max
        private let first: Int
        private var slots: [UInt16]
        private var more: [Int: [Int]] = [:]

        init(pupils: Bitmap) {
            guard let first = pupils.first, let last = pupils.last else {
                self.first = 0
                slots = []
                return
            }
            self.first = first
            slots = [UInt16](repeating: 0, count: last - first + 1)
        }

        /// Adds `school` to the schools of the active pupil `pupil`.
        mutating func add(_ school: Int, to pupil: Int) {
            let slot = pupil - first
            switch slots[slot] {
            case 0 where school < Int(Self.elsewhere) - 1:
                slots[slot] = UInt16(school + 1)
            case 0:
                more[pupil] = [school]
                slots[slot] = Self.elsewhere
            case Self.elsewhere:
                if more[pupil]?.contains(school) == false { more[pupil]?.append(school) }
            case let known where Int(known) - 1 == school:
                return
            case let known:
                more[pupil] = [Int(known) - 1, school]
                slots[slot] = Self.elsewhere
            }
        }

        /// Calls `body` with each school of `pupil`; none when `pupil` is not an active pupil or has none.
        func forEach(of pupil: Int, _ body: (Int) -> Void) {
            let slot = pupil - first
            guard slot >= 0, slot < slots.count else { return }
            switch slots[slot] {
            case 0: return
            case Self.elsewhere: more[pupil]?.forEach(body)
            case let known: body(Int(known) - 1)
            }
        }
    }

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
