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
        struct Row: Hashable {
            var uai: String
            var category: String
            var people: Int
        }
        // Counted once; stored only when different from the last census. Its GROUP BY sorters would add as much
        // memory as the page cache (measured at 100,000 pupils: +9 MB of peak RSS).
        let current = try connection.withSmallPageCache {
            try connection.rows(Self.censusSQL) {
                Row(uai: $0.text(0) ?? "", category: $0.text(1) ?? "", people: $0.int(2))
            }
        }
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

    /// Active people by school and category, and each category's total (`*`).
    static let censusSQL = """
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
        """

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
