import Foundation

// Migrations 9 and 10, shipped: their texts, moved here unchanged from Migrations.swift.
extension Migrations {
    /// Migration 9's text (the change feed, version 1), kept apart because migration 10 derives from it.
    static let changeFeed = #"""
        CREATE TABLE changes (
            seq          INTEGER PRIMARY KEY AUTOINCREMENT,
            recorded_at  TEXT NOT NULL,
            extract_date TEXT,
            kind         TEXT NOT NULL,
            category     TEXT NOT NULL,
            jointure     TEXT NOT NULL,
            change       TEXT NOT NULL,
            attributes   TEXT,
            was_active   INTEGER NOT NULL
        );
        CREATE TABLE change_context (
            id                INTEGER PRIMARY KEY CHECK (id = 1),
            extract_date      TEXT,
            source            TEXT NOT NULL,
            persons_before    INTEGER NOT NULL DEFAULT 0,
            structures_before INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO change_context (id, source) VALUES (1, 'admin');
        CREATE TRIGGER persons_updated AFTER UPDATE OF attrs ON persons WHEN OLD.attrs IS NOT NEW.attrs BEGIN
            INSERT INTO changes (recorded_at, extract_date, kind, category, jointure, change, attributes, was_active) VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), (SELECT extract_date FROM change_context WHERE id = 1), 'person', CASE NEW.category WHEN 'Eleve' THEN 'pupil' WHEN 'PersEducNat' THEN 'staff' ELSE 'guardian' END, NEW.jointure, 'updated', (SELECT json_group_array(key) FROM (SELECT n.key FROM json_each(CASE WHEN NEW.attrs IS NULL OR length(NEW.attrs) = 0 THEN '{}' ELSE '{"' || replace(replace(replace(replace(replace(replace(replace(replace(CAST(NEW.attrs AS TEXT), '\', '\\'), '"', '\"'), char(9), '\t'), char(10), '\n'), char(13), '\r'), char(29), '"],"'), char(31), '":["'), char(30), '","') || '"]}' END) n WHERE n.value IS NOT (SELECT o.value FROM json_each(CASE WHEN OLD.attrs IS NULL OR length(OLD.attrs) = 0 THEN '{}' ELSE '{"' || replace(replace(replace(replace(replace(replace(replace(replace(CAST(OLD.attrs AS TEXT), '\', '\\'), '"', '\"'), char(9), '\t'), char(10), '\n'), char(13), '\r'), char(29), '"],"'), char(31), '":["'), char(30), '","') || '"]}' END) o WHERE o.key = n.key) UNION SELECT o.key FROM json_each(CASE WHEN OLD.attrs IS NULL OR length(OLD.attrs) = 0 THEN '{}' ELSE '{"' || replace(replace(replace(replace(replace(replace(replace(replace(CAST(OLD.attrs AS TEXT), '\', '\\'), '"', '\"'), char(9), '\t'), char(10), '\n'), char(13), '\r'), char(29), '"],"'), char(31), '":["'), char(30), '","') || '"]}' END) o WHERE o.key NOT IN (SELECT n.key FROM json_each(CASE WHEN NEW.attrs IS NULL OR length(NEW.attrs) = 0 THEN '{}' ELSE '{"' || replace(replace(replace(replace(replace(replace(replace(replace(CAST(NEW.attrs AS TEXT), '\', '\\'), '"', '\"'), char(9), '\t'), char(10), '\n'), char(13), '\r'), char(29), '"],"'), char(31), '":["'), char(30), '","') || '"]}' END) n) ORDER BY 1)), OLD.departed_on IS NULL AND OLD.id <= (SELECT persons_before FROM change_context WHERE id = 1));
        END;
        CREATE TRIGGER persons_departed AFTER UPDATE OF departed_on ON persons
            WHEN OLD.departed_on IS NULL AND NEW.departed_on IS NOT NULL BEGIN
            INSERT INTO changes (recorded_at, extract_date, kind, category, jointure, change, attributes, was_active) VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), (SELECT extract_date FROM change_context WHERE id = 1), 'person', CASE NEW.category WHEN 'Eleve' THEN 'pupil' WHEN 'PersEducNat' THEN 'staff' ELSE 'guardian' END, NEW.jointure, 'departed', NULL, OLD.id <= (SELECT persons_before FROM change_context WHERE id = 1));
        END;
        CREATE TRIGGER persons_reactivated AFTER UPDATE OF departed_on ON persons
            WHEN OLD.departed_on IS NOT NULL AND NEW.departed_on IS NULL BEGIN
            INSERT INTO changes (recorded_at, extract_date, kind, category, jointure, change, attributes, was_active) VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), (SELECT extract_date FROM change_context WHERE id = 1), 'person', CASE NEW.category WHEN 'Eleve' THEN 'pupil' WHEN 'PersEducNat' THEN 'staff' ELSE 'guardian' END, NEW.jointure, 'reactivated', NULL, 0);
        END;
        CREATE TRIGGER persons_deleted AFTER DELETE ON persons BEGIN
            INSERT INTO changes (recorded_at, extract_date, kind, category, jointure, change, attributes, was_active) VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), (SELECT extract_date FROM change_context WHERE id = 1), 'person', CASE OLD.category WHEN 'Eleve' THEN 'pupil' WHEN 'PersEducNat' THEN 'staff' ELSE 'guardian' END, OLD.jointure,
                CASE (SELECT source FROM change_context WHERE id = 1) WHEN 'purge' THEN 'purged' ELSE 'deleted' END, NULL, OLD.departed_on IS NULL AND OLD.id <= (SELECT persons_before FROM change_context WHERE id = 1));
        END;
        CREATE TRIGGER structures_updated AFTER UPDATE OF attrs ON structures WHEN OLD.attrs IS NOT NEW.attrs BEGIN
            INSERT INTO changes (recorded_at, extract_date, kind, category, jointure, change, attributes, was_active) VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), (SELECT extract_date FROM change_context WHERE id = 1), 'structure', 'structure', NEW.jointure, 'updated', (SELECT json_group_array(key) FROM (SELECT n.key FROM json_each(CASE WHEN NEW.attrs IS NULL OR length(NEW.attrs) = 0 THEN '{}' ELSE '{"' || replace(replace(replace(replace(replace(replace(replace(replace(CAST(NEW.attrs AS TEXT), '\', '\\'), '"', '\"'), char(9), '\t'), char(10), '\n'), char(13), '\r'), char(29), '"],"'), char(31), '":["'), char(30), '","') || '"]}' END) n WHERE n.value IS NOT (SELECT o.value FROM json_each(CASE WHEN OLD.attrs IS NULL OR length(OLD.attrs) = 0 THEN '{}' ELSE '{"' || replace(replace(replace(replace(replace(replace(replace(replace(CAST(OLD.attrs AS TEXT), '\', '\\'), '"', '\"'), char(9), '\t'), char(10), '\n'), char(13), '\r'), char(29), '"],"'), char(31), '":["'), char(30), '","') || '"]}' END) o WHERE o.key = n.key) UNION SELECT o.key FROM json_each(CASE WHEN OLD.attrs IS NULL OR length(OLD.attrs) = 0 THEN '{}' ELSE '{"' || replace(replace(replace(replace(replace(replace(replace(replace(CAST(OLD.attrs AS TEXT), '\', '\\'), '"', '\"'), char(9), '\t'), char(10), '\n'), char(13), '\r'), char(29), '"],"'), char(31), '":["'), char(30), '","') || '"]}' END) o WHERE o.key NOT IN (SELECT n.key FROM json_each(CASE WHEN NEW.attrs IS NULL OR length(NEW.attrs) = 0 THEN '{}' ELSE '{"' || replace(replace(replace(replace(replace(replace(replace(replace(CAST(NEW.attrs AS TEXT), '\', '\\'), '"', '\"'), char(9), '\t'), char(10), '\n'), char(13), '\r'), char(29), '"],"'), char(31), '":["'), char(30), '","') || '"]}' END) n) ORDER BY 1)), OLD.departed_on IS NULL AND OLD.id <= (SELECT structures_before FROM change_context WHERE id = 1));
        END;
        CREATE TRIGGER structures_departed AFTER UPDATE OF departed_on ON structures
            WHEN OLD.departed_on IS NULL AND NEW.departed_on IS NOT NULL BEGIN
            INSERT INTO changes (recorded_at, extract_date, kind, category, jointure, change, attributes, was_active) VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), (SELECT extract_date FROM change_context WHERE id = 1), 'structure', 'structure', NEW.jointure, 'departed', NULL, OLD.id <= (SELECT structures_before FROM change_context WHERE id = 1));
        END;
        CREATE TRIGGER structures_reactivated AFTER UPDATE OF departed_on ON structures
            WHEN OLD.departed_on IS NOT NULL AND NEW.departed_on IS NULL BEGIN
            INSERT INTO changes (recorded_at, extract_date, kind, category, jointure, change, attributes, was_active) VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), (SELECT extract_date FROM change_context WHERE id = 1), 'structure', 'structure', NEW.jointure, 'reactivated', NULL, 0);
        END;
        CREATE TRIGGER structures_deleted AFTER DELETE ON structures BEGIN
            INSERT INTO changes (recorded_at, extract_date, kind, category, jointure, change, attributes, was_active) VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), (SELECT extract_date FROM change_context WHERE id = 1), 'structure', 'structure', OLD.jointure,
                CASE (SELECT source FROM change_context WHERE id = 1) WHEN 'purge' THEN 'purged' ELSE 'deleted' END, NULL, OLD.departed_on IS NULL AND OLD.id <= (SELECT structures_before FROM change_context WHERE id = 1));
        END;
        """#

    /// Migration 10: the registers, the census and restriction.
    static let registers: String = {
        var sql = #"""
            ALTER TABLE persons ADD COLUMN restricted INTEGER NOT NULL DEFAULT 0;
            CREATE TABLE rights_requests (
                id                    INTEGER PRIMARY KEY,
                kind                  TEXT NOT NULL CHECK (kind IN ('access', 'rectification', 'erasure', 'opposition', 'restriction', 'post-mortem')),
                jointure              TEXT NOT NULL,
                received_on           TEXT NOT NULL,
                publisher_received_on TEXT,
                received_by           TEXT NOT NULL,
                opened_at             TEXT NOT NULL,
                opened_by             TEXT NOT NULL,
                forward_due           TEXT NOT NULL,
                forwarded_on          TEXT,
                answer_file           TEXT,
                closed_at             TEXT,
                outcome               TEXT,
                closed_by             TEXT,
                alerted               INTEGER NOT NULL DEFAULT 0
            );
            CREATE INDEX rights_requests_jointure ON rights_requests(jointure);
            CREATE TABLE security_incidents (
                id                 INTEGER PRIMARY KEY,
                kind               TEXT NOT NULL CHECK (kind IN ('breach', 'suspected-breach', 'other')),
                known_at           TEXT NOT NULL,
                declared_at        TEXT NOT NULL,
                declared_by        TEXT NOT NULL,
                nature             TEXT,
                consequences       TEXT,
                measures           TEXT,
                contact            TEXT,
                risk               TEXT NOT NULL DEFAULT 'unknown' CHECK (risk IN ('unknown', 'unlikely', 'likely', 'high')),
                risk_reason        TEXT,
                academy_alerted_at TEXT,
                cnil_notified_at   TEXT,
                closed_at          TEXT,
                alerted            TEXT NOT NULL DEFAULT ''
            );
            CREATE TABLE census (
                run_id      INTEGER NOT NULL,
                finished_at TEXT NOT NULL,
                uai         TEXT NOT NULL,
                category    TEXT NOT NULL,
                people      INTEGER NOT NULL
            );
            CREATE INDEX census_time ON census(finished_at);
            DROP VIEW ent_person_attributes;
            DROP VIEW ent_people_structures;
            DROP VIEW ent_memberships;
            DROP VIEW ent_guardianships;
            DROP VIEW ent_staff_functions;
            DROP VIEW ent_directorships;
            CREATE VIEW ent_person_attributes AS
                SELECT id, jointure, category, first_seen, updated_on, CASE WHEN attrs IS NULL OR length(attrs) = 0 THEN '{}' ELSE '{"' || replace(replace(replace(replace(replace(replace(replace(replace(CAST(attrs AS TEXT), '\', '\\'), '"', '\"'), char(9), '\t'), char(10), '\n'), char(13), '\r'), char(29), '"],"'), char(31), '":["'), char(30), '","') || '"]}' END AS attributes
                FROM persons WHERE departed_on IS NULL AND restricted = 0;
            CREATE VIEW ent_people_structures AS
                SELECT p.jointure,
                    CASE p.category WHEN 'Eleve' THEN 'pupil' WHEN 'PersEducNat' THEN 'staff' ELSE 'guardian' END AS category,
                    a.structure_jointure, s.uai
                FROM attachments a JOIN persons p ON p.id = a.person_id AND p.departed_on IS NULL AND p.restricted = 0
                LEFT JOIN structures s ON s.jointure = a.structure_jointure AND s.departed_on IS NULL;
            CREATE VIEW ent_memberships AS
                SELECT m.kind, m.structure_jointure, s.uai, m.code, m.label, p.jointure
                FROM memberships m JOIN persons p ON p.id = m.person_id AND p.departed_on IS NULL AND p.restricted = 0
                LEFT JOIN structures s ON s.jointure = m.structure_jointure AND s.departed_on IS NULL;
            CREATE VIEW ent_guardianships AS
                SELECT p.jointure AS pupil_jointure, g.guardian_jointure, g.position + 1 AS rank
                FROM persons p JOIN guardianships g ON g.pupil_id = p.id
                CROSS JOIN persons gp ON gp.category = 'PersRelEleve' AND gp.jointure = g.guardian_jointure
                    AND gp.departed_on IS NULL AND gp.restricted = 0
                WHERE p.category = 'Eleve' AND p.departed_on IS NULL AND p.restricted = 0;
            CREATE VIEW ent_staff_functions AS
                SELECT p.jointure, f.structure_jointure, s.uai, f.position + 1 AS rank, f.function_code, f.function_label,
                    f.position_code, f.position_label
                FROM functions f JOIN persons p ON p.id = f.person_id AND p.departed_on IS NULL AND p.restricted = 0
                LEFT JOIN structures s ON s.jointure = f.structure_jointure AND s.departed_on IS NULL;
            CREATE VIEW ent_directorships AS
                SELECT p.jointure, d.structure_jointure, s.uai
                FROM directorships d JOIN persons p ON p.id = d.person_id AND p.departed_on IS NULL AND p.restricted = 0
                LEFT JOIN structures s ON s.jointure = d.structure_jointure AND s.departed_on IS NULL;
            DROP TRIGGER persons_updated;
            DROP TRIGGER persons_departed;
            DROP TRIGGER persons_deleted;
            CREATE TRIGGER persons_restricted AFTER UPDATE OF restricted ON persons
                WHEN OLD.restricted = 0 AND NEW.restricted = 1 BEGIN
                INSERT INTO changes (recorded_at, extract_date, kind, category, jointure, change, attributes, was_active) VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), (SELECT extract_date FROM change_context WHERE id = 1), 'person', CASE NEW.category WHEN 'Eleve' THEN 'pupil' WHEN 'PersEducNat' THEN 'staff' ELSE 'guardian' END, NEW.jointure, 'restricted', NULL, OLD.departed_on IS NULL AND OLD.id <= (SELECT persons_before FROM change_context WHERE id = 1));
            END;
            CREATE TRIGGER persons_unrestricted AFTER UPDATE OF restricted ON persons
                WHEN OLD.restricted = 1 AND NEW.restricted = 0 BEGIN
                INSERT INTO changes (recorded_at, extract_date, kind, category, jointure, change, attributes, was_active) VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), (SELECT extract_date FROM change_context WHERE id = 1), 'person', CASE NEW.category WHEN 'Eleve' THEN 'pupil' WHEN 'PersEducNat' THEN 'staff' ELSE 'guardian' END, NEW.jointure, 'unrestricted', NULL, 0);
            END;

            """#
        // The person triggers of migration 9, again, with a restricted person counted as not active for the ENT.
        for name in ["persons_updated", "persons_departed", "persons_deleted"] {
            guard let start = changeFeed.range(of: "CREATE TRIGGER \(name) "),
                let end = changeFeed.range(of: "END;", range: start.upperBound..<changeFeed.endIndex)
            else { continue }
            sql +=
                changeFeed[start.lowerBound..<end.upperBound]
                .replacingOccurrences(
                    of: "OLD.departed_on IS NULL AND OLD.id <=",
                    with: "OLD.departed_on IS NULL AND OLD.restricted = 0 AND OLD.id <="
                )
                + "\n"
        }
        return sql
    }()
}
