import AAFModel

/// The statements of an import session: the SQL of every write the reconciliation does, in one table.
enum SessionStatement: Int, CaseIterable {
    case findPerson, insertPerson, updatePerson, updateActivePerson, reactivatePerson, departPerson, deletePerson
    /// The change feed's `updated` row of a person this import updated, and the names' query it may need (ADR 0020).
    case recordPersonUpdate, changedNames
    /// R9 in a Delta: an unchanged record the Delta lists was still sent by the académie that day.
    case touchListed
    case findStructure, insertStructure, updateStructure, reactivateStructure, departStructure
    case guardianReferenced, insertAttachment, insertGuardianship, insertMembership, insertFunction, insertDirectorship

    var sql: String {
        switch self {
        case .findPerson:
            "SELECT id, attrs, departed_on, restricted FROM persons WHERE category = ?1 AND jointure = ?2"
        case .insertPerson:
            """
            INSERT INTO persons (category, jointure, attrs, first_seen, updated_on, listed_on, \(PersonColumns.columns
                .joined(separator: ", "))) VALUES (?1, ?2, ?3, ?4, ?4, ?4, \(PersonColumns.parameters(from: 5)))
            ON CONFLICT (category, jointure) DO NOTHING
            """
        case .updatePerson:
            """
            UPDATE persons SET attrs = ?2, updated_on = ?3, listed_on = ?3, departed_on = NULL, purge_due = NULL,
                \(PersonColumns.assignments(from: 4))
            WHERE id = ?1
            """
        case .updateActivePerson:
            // `updatePerson` for a person who is not departed: `departed_on` is NULL already, and left out of the
            // SET list SQLite neither rewrites the person's entry in `persons_state` nor evaluates the triggers on
            // `departed_on`.
            """
            UPDATE persons SET attrs = ?2, updated_on = ?3, listed_on = ?3, purge_due = NULL,
                \(PersonColumns.assignments(from: 4))
            WHERE id = ?1
            """
        case .recordPersonUpdate:
            // Migration 11's trigger's row (`Migrations.personUpdatedRow`), its values bound.
            Migrations.insertChange(
                kind: "person",
                category: "?1",
                jointure: "?2",
                change: "'updated'",
                attributes: "?3",
                wasActive: "?4"
            )
        case .changedNames:
            Migrations.changedAttributeNamesQuery
        case .reactivatePerson:
            "UPDATE persons SET departed_on = NULL, purge_due = NULL, listed_on = ?2 WHERE id = ?1"
        case .touchListed:
            "UPDATE persons SET listed_on = ?2 WHERE id = ?1 AND (listed_on IS NULL OR listed_on < ?2)"
        case .departPerson:
            "UPDATE persons SET departed_on = ?2, purge_due = ?3 WHERE id = ?1 AND departed_on IS NULL"
        case .deletePerson:
            "DELETE FROM persons WHERE id = ?1"
        case .findStructure:
            "SELECT id, attrs, departed_on FROM structures WHERE jointure = ?1"
        case .insertStructure:
            "INSERT INTO structures (jointure, uai, attrs, first_seen, updated_on) VALUES (?1, ?2, ?3, ?4, ?4)"
        case .updateStructure:
            "UPDATE structures SET uai = ?2, attrs = ?3, updated_on = ?4, departed_on = NULL, purge_due = NULL WHERE id = ?1"
        case .reactivateStructure:
            "UPDATE structures SET departed_on = NULL, purge_due = NULL WHERE id = ?1"
        case .departStructure:
            "UPDATE structures SET departed_on = ?2, purge_due = ?3 WHERE id = ?1 AND departed_on IS NULL"
        case .guardianReferenced:
            """
            SELECT 1 FROM guardianships g JOIN persons p ON p.id = g.pupil_id
            WHERE g.guardian_jointure = ?1 AND p.departed_on IS NULL LIMIT 1
            """
        case .insertAttachment:
            "INSERT OR IGNORE INTO attachments (person_id, structure_jointure) VALUES (?1, ?2)"
        case .insertGuardianship:
            "INSERT OR IGNORE INTO guardianships (pupil_id, guardian_jointure, position) VALUES (?1, ?2, ?3)"
        case .insertMembership:
            "INSERT OR IGNORE INTO memberships (person_id, kind, structure_jointure, code, label) VALUES (?1, ?2, ?3, ?4, ?5)"
        case .insertFunction:
            """
            INSERT INTO functions (person_id, position, structure_jointure, function_code, function_label,
                                   position_code, position_label)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            """
        case .insertDirectorship:
            "INSERT OR IGNORE INTO directorships (person_id, structure_jointure) VALUES (?1, ?2)"
        }
    }
}

extension ImportSession {
    /// A prepared statement of this session (prepared once in `init`).
    @inline(__always)
    func statement(_ which: SessionStatement) -> Statement { prepared[which.rawValue] }
}
