import AAFModel

extension Migrations {
    /// ADR 0004's control-character form as JSON, the SQL that migrations 7–10 spelled out in every view and trigger
    /// that read attributes. Migration 11 uses it once, to convert the stored rows; nothing reads that form after.
    static let legacyDecoding = #"""
        CASE WHEN attrs IS NULL OR length(attrs) = 0 THEN '{}' ELSE '{"' || replace(replace(replace(replace(replace(replace(replace(replace(CAST(attrs AS TEXT), '\', '\\'), '"', '\"'), char(9), '\t'), char(10), '\n'), char(13), '\r'), char(29), '"],"'), char(31), '":["'), char(30), '","') || '"]}' END
        """#

    /// One change-feed row, as every trigger writes it.
    static func insertChange(
        kind: String,
        category: String,
        jointure: String,
        change: String,
        attributes: String = "NULL",
        wasActive: String
    ) -> String {
        """
        INSERT INTO changes (recorded_at, extract_date, kind, category, jointure, change, attributes, was_active)
                VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), (SELECT extract_date FROM change_context WHERE id = 1),
                '\(kind)', \(category), \(jointure), \(change), \(attributes), \(wasActive));
        """
    }

    /// The names of the attributes whose values differ between OLD and NEW (added, changed or removed), sorted, as
    /// a JSON array: read from the stored JSON directly.
    static let changedAttributeNames = """
        (SELECT json_group_array(key) FROM (
                SELECT n.key FROM json_each(NEW.attrs) n
                    WHERE n.value IS NOT (SELECT o.value FROM json_each(OLD.attrs) o WHERE o.key = n.key)
                UNION SELECT o.key FROM json_each(OLD.attrs) o
                    WHERE o.key NOT IN (SELECT n.key FROM json_each(NEW.attrs) n)
                ORDER BY 1))
        """

    /// The `updated` row of a person whose attributes changed, as migration 11's trigger writes it (migration 16's
    /// too).
    static let personUpdatedRow = insertChange(
        kind: "person",
        category: AAFCategory.entNameSQL("NEW.category"),
        jointure: "NEW.jointure",
        change: "'updated'",
        attributes: changedAttributeNames,
        wasActive:
            "OLD.departed_on IS NULL AND OLD.restricted = 0 AND OLD.id <= (SELECT persons_before FROM change_context WHERE id = 1)"
    )

    /// Migration 11 (ADR 0016): the stored form of attributes becomes canonical JSON text, so the views hand it to
    /// the ENT as it is and the feed's triggers compare it with SQLite's JSON functions: no view or trigger decodes
    /// a stored form any more, and the category's ENT word comes from ``AAFCategory/entNameSQL(_:)``. The views and
    /// triggers that read either are created again, unchanged otherwise, but for one thing (issue 23): for the ENT,
    /// a restricted person simply leaves (`deleted`) and comes back (`created`); that a right was exercised stays
    /// inside aafd (the rows already in the feed are reworded the same way).
    static let storedJSON: String = {
        let personWord = { (row: String) in AAFCategory.entNameSQL("\(row).category") }
        let personsBefore = "(SELECT persons_before FROM change_context WHERE id = 1)"
        let structuresBefore = "(SELECT structures_before FROM change_context WHERE id = 1)"
        let deletedWord =
            "CASE (SELECT source FROM change_context WHERE id = 1) WHEN 'purge' THEN 'purged' ELSE 'deleted' END"
        let structureWord = "'\(AAFCategory.structure.entName)'"
        return """
            DROP TRIGGER persons_updated;
            DROP TRIGGER structures_updated;
            UPDATE structures SET attrs = \(legacyDecoding);
            UPDATE persons SET attrs = \(legacyDecoding);
            DROP VIEW ent_structure_attributes;
            DROP VIEW ent_person_attributes;
            DROP VIEW ent_people;
            DROP VIEW ent_people_structures;
            CREATE VIEW ent_structure_attributes AS
                SELECT id, jointure, uai, first_seen, updated_on, attrs AS attributes
                FROM structures WHERE departed_on IS NULL;
            CREATE VIEW ent_person_attributes AS
                SELECT id, jointure, category, first_seen, updated_on, attrs AS attributes
                FROM persons WHERE departed_on IS NULL AND restricted = 0;
            CREATE VIEW ent_people AS
                SELECT jointure,
                    \(personWord("ent_person_attributes")) AS category,
                    json_extract(attributes, '$.ENTPersonNom[0]') AS surname,
                    json_extract(attributes, '$.ENTPersonNomPatro[0]') AS birth_surname,
                    json_extract(attributes, '$.ENTPersonPrenom[0]') AS first_name,
                    json_extract(attributes, '$.ENTPersonCivilite[0]') AS civility,
                    CASE WHEN json_extract(attributes, '$.ENTPersonDateNaissance[0]') GLOB '[0-9][0-9]/[0-9][0-9]/[0-9][0-9][0-9][0-9]'
                        THEN substr(json_extract(attributes, '$.ENTPersonDateNaissance[0]'), 7, 4) || '-'
                            || substr(json_extract(attributes, '$.ENTPersonDateNaissance[0]'), 4, 2) || '-'
                            || substr(json_extract(attributes, '$.ENTPersonDateNaissance[0]'), 1, 2)
                    END AS birth_date,
                    json_extract(attributes, '$.ENTPersonMail[0]') AS mail,
                    first_seen, updated_on, attributes
                FROM ent_person_attributes;
            CREATE VIEW ent_people_structures AS
                SELECT p.jointure, \(personWord("p")) AS category, a.structure_jointure, s.uai
                FROM attachments a JOIN persons p ON p.id = a.person_id AND p.departed_on IS NULL AND p.restricted = 0
                LEFT JOIN structures s ON s.jointure = a.structure_jointure AND s.departed_on IS NULL;
            DROP TRIGGER persons_departed;
            DROP TRIGGER persons_reactivated;
            DROP TRIGGER persons_deleted;
            DROP TRIGGER persons_restricted;
            DROP TRIGGER persons_unrestricted;
            CREATE TRIGGER persons_updated AFTER UPDATE OF attrs ON persons WHEN OLD.attrs IS NOT NEW.attrs BEGIN
                \(personUpdatedRow)
            END;
            CREATE TRIGGER persons_departed AFTER UPDATE OF departed_on ON persons
                WHEN OLD.departed_on IS NULL AND NEW.departed_on IS NOT NULL BEGIN
                \(insertChange(kind: "person", category: personWord("NEW"), jointure: "NEW.jointure", change: "'departed'",
                    wasActive: "OLD.id <= \(personsBefore)"))
            END;
            CREATE TRIGGER persons_reactivated AFTER UPDATE OF departed_on ON persons
                WHEN OLD.departed_on IS NOT NULL AND NEW.departed_on IS NULL BEGIN
                \(insertChange(kind: "person", category: personWord("NEW"), jointure: "NEW.jointure",
                    change: "'reactivated'", wasActive: "0"))
            END;
            CREATE TRIGGER persons_deleted AFTER DELETE ON persons BEGIN
                \(insertChange(kind: "person", category: personWord("OLD"), jointure: "OLD.jointure", change: deletedWord,
                    wasActive: "OLD.departed_on IS NULL AND OLD.restricted = 0 AND OLD.id <= \(personsBefore)"))
            END;
            UPDATE changes SET change = 'deleted' WHERE change = 'restricted';
            UPDATE changes SET change = 'created' WHERE change = 'unrestricted';
            CREATE TRIGGER persons_restricted AFTER UPDATE OF restricted ON persons
                WHEN OLD.restricted = 0 AND NEW.restricted = 1 BEGIN
                \(insertChange(kind: "person", category: personWord("NEW"), jointure: "NEW.jointure",
                    change: "'deleted'", wasActive: "OLD.departed_on IS NULL AND OLD.id <= \(personsBefore)"))
            END;
            CREATE TRIGGER persons_unrestricted AFTER UPDATE OF restricted ON persons
                WHEN OLD.restricted = 1 AND NEW.restricted = 0 BEGIN
                \(insertChange(kind: "person", category: personWord("NEW"), jointure: "NEW.jointure",
                    change: "'created'", wasActive: "0"))
            END;
            CREATE TRIGGER structures_updated AFTER UPDATE OF attrs ON structures WHEN OLD.attrs IS NOT NEW.attrs BEGIN
                \(insertChange(kind: "structure", category: structureWord, jointure: "NEW.jointure", change: "'updated'",
                    attributes: changedAttributeNames,
                    wasActive: "OLD.departed_on IS NULL AND OLD.id <= \(structuresBefore)"))
            END;
            """
    }()
}
