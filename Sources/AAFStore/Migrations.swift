import Foundation

/// Versioned schema migrations, tracked by `PRAGMA user_version`. A shipped migration is never edited:
/// a change is a new entry at the end. Docs/schema.md describes the tables.
enum Migrations {
    static let all: [String] = [
        // 1: the ENT directory and the import journal.
        """
        CREATE TABLE structures (
            id          INTEGER PRIMARY KEY,
            jointure    TEXT NOT NULL UNIQUE,
            uai         TEXT,
            attrs       BLOB NOT NULL,
            first_seen  TEXT NOT NULL,
            updated_on  TEXT NOT NULL,
            departed_on TEXT,
            purge_due   TEXT
        );
        CREATE INDEX structures_uai ON structures(uai);
        CREATE TABLE persons (
            id          INTEGER PRIMARY KEY,
            category    TEXT NOT NULL CHECK (category IN ('Eleve', 'PersEducNat', 'PersRelEleve')),
            jointure    TEXT NOT NULL,
            attrs       BLOB NOT NULL,
            first_seen  TEXT NOT NULL,
            updated_on  TEXT NOT NULL,
            departed_on TEXT,
            purge_due   TEXT,
            UNIQUE (category, jointure)
        );
        CREATE TABLE attachments (
            person_id          INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
            structure_jointure TEXT NOT NULL,
            PRIMARY KEY (person_id, structure_jointure)
        ) WITHOUT ROWID;
        CREATE TABLE guardianships (
            pupil_id          INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
            guardian_jointure TEXT NOT NULL,
            position          INTEGER NOT NULL,
            PRIMARY KEY (pupil_id, guardian_jointure)
        ) WITHOUT ROWID;
        CREATE INDEX guardianships_guardian ON guardianships(guardian_jointure);
        CREATE TABLE memberships (
            person_id          INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
            kind               TEXT NOT NULL CHECK (kind IN ('class', 'group')),
            structure_jointure TEXT NOT NULL,
            code               TEXT NOT NULL,
            label              TEXT NOT NULL,
            PRIMARY KEY (person_id, kind, structure_jointure, code)
        ) WITHOUT ROWID;
        CREATE TABLE functions (
            person_id          INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
            position           INTEGER NOT NULL,
            structure_jointure TEXT NOT NULL,
            function_code      TEXT,
            function_label     TEXT,
            position_code      TEXT,
            position_label     TEXT,
            PRIMARY KEY (person_id, position)
        ) WITHOUT ROWID;
        CREATE TABLE directorships (
            person_id          INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
            structure_jointure TEXT NOT NULL,
            PRIMARY KEY (person_id, structure_jointure)
        ) WITHOUT ROWID;
        CREATE TABLE import_runs (
            id           INTEGER PRIMARY KEY,
            started_at   TEXT NOT NULL,
            finished_at  TEXT NOT NULL,
            extract_date TEXT,
            mode         TEXT,
            outcome      TEXT NOT NULL CHECK (outcome IN ('imported', 'refused', 'failed')),
            dry_run      INTEGER NOT NULL DEFAULT 0,
            reason       TEXT,
            counts       TEXT NOT NULL DEFAULT '{}',
            dropped      TEXT NOT NULL DEFAULT '{}',
            duration_ms  INTEGER NOT NULL
        );
        """,
        // 2: consents (R2), administrator journal, chained deletion records (R13).
        """
        CREATE TABLE consents (
            jointure    TEXT NOT NULL,
            field       TEXT NOT NULL CHECK (field IN ('home-address')),
            granted_at  TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            PRIMARY KEY (jointure, field)
        ) WITHOUT ROWID;
        CREATE TABLE admin_journal (
            id          INTEGER PRIMARY KEY,
            at          TEXT NOT NULL,
            action      TEXT NOT NULL,
            jointure    TEXT,
            field       TEXT,
            recorded_by TEXT NOT NULL
        );
        CREATE TABLE purge_records (
            id          INTEGER PRIMARY KEY,
            purged_on   TEXT NOT NULL,
            executed_at TEXT NOT NULL,
            rule        TEXT NOT NULL,
            counts      TEXT NOT NULL,
            prev_hash   TEXT NOT NULL,
            hash        TEXT NOT NULL
        );
        CREATE TABLE purge_chain (
            singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
            anchor_hash TEXT NOT NULL,
            head_hash   TEXT NOT NULL,
            records     INTEGER NOT NULL
        );
        CREATE TABLE directory_state (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO directory_state SELECT 'last_received', max(extract_date) FROM import_runs
            WHERE outcome = 'imported' AND dry_run = 0 HAVING max(extract_date) IS NOT NULL;
        INSERT INTO purge_chain VALUES (1, '\(String(repeating: "0", count: 64))', '\(String(repeating: "0", count: 64))', 0);
        """,
        // 3: incidents (R19). At most one open at a time; `alerted` makes the alert command run once per incident.
        """
        CREATE TABLE incidents (
            id           INTEGER PRIMARY KEY,
            opened_at    TEXT NOT NULL,
            closed_at    TEXT,
            outcome      TEXT NOT NULL,
            rule         TEXT,
            extract_date TEXT,
            reason       TEXT NOT NULL,
            alerted      INTEGER NOT NULL DEFAULT 0
        );
        CREATE UNIQUE INDEX incidents_one_open ON incidents((closed_at IS NULL)) WHERE closed_at IS NULL;
        """,
        // 4: remote deletions still owed (R10): files downloaded durably whose deletion the server refused.
        // File names only (no personal data); a row goes once the file is deleted or gone.
        """
        CREATE TABLE remote_deletions (
            name         TEXT PRIMARY KEY,
            extract_date TEXT NOT NULL,
            owed_since   TEXT NOT NULL,
            attempts     INTEGER NOT NULL DEFAULT 1,
            last_error   TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
        // 5: whether a deletion record's erasure is complete (R12): the checkpoint that removes the deleted values
        // from the database files succeeded. Outside the record's hash (it changes once, after the record).
        """
        ALTER TABLE purge_records ADD COLUMN erased INTEGER NOT NULL DEFAULT 1;
        """,
        // 6: R9 per record: the last delivery that listed each person (`listed_on`: set by Deltas and by any
        // change; a Complet lists every active record, so its date is kept once, `last_complet`). Existing rows
        // take their last update; `last_complet` the last imported Complet still in the journal, else the last
        // delivery received.
        """
        ALTER TABLE persons ADD COLUMN listed_on TEXT;
        UPDATE persons SET listed_on = updated_on;
        INSERT INTO directory_state SELECT 'last_complet', max(extract_date) FROM import_runs
            WHERE outcome = 'imported' AND dry_run = 0 AND mode = 'Complet' HAVING max(extract_date) IS NOT NULL;
        INSERT OR IGNORE INTO directory_state SELECT 'last_complet', value FROM directory_state WHERE key = 'last_received';
        """,
        // 7: the ENT's read interface, version 1 (Docs/ent-interface.md, ADR 0011): views with plain typed columns over
        // the active directory; `attributes` is each row's stored form as JSON, converted by SQL alone, so any SQLite
        // 3.38+ client reads it with no aafd code. Never consents, journals or deletion records.
        #"""
        CREATE INDEX persons_jointure ON persons(jointure);
        CREATE VIEW ent_interface AS SELECT 1 AS version;
        CREATE VIEW ent_structure_attributes AS
            SELECT id, jointure, uai, first_seen, updated_on, CASE WHEN attrs IS NULL OR length(attrs) = 0 THEN '{}' ELSE '{"' || replace(replace(replace(replace(replace(replace(replace(replace(CAST(attrs AS TEXT), '\', '\\'), '"', '\"'), char(9), '\t'), char(10), '\n'), char(13), '\r'), char(29), '"],"'), char(31), '":["'), char(30), '","') || '"]}' END AS attributes
            FROM structures WHERE departed_on IS NULL;
        CREATE VIEW ent_person_attributes AS
            SELECT id, jointure, category, first_seen, updated_on, CASE WHEN attrs IS NULL OR length(attrs) = 0 THEN '{}' ELSE '{"' || replace(replace(replace(replace(replace(replace(replace(replace(CAST(attrs AS TEXT), '\', '\\'), '"', '\"'), char(9), '\t'), char(10), '\n'), char(13), '\r'), char(29), '"],"'), char(31), '":["'), char(30), '","') || '"]}' END AS attributes
            FROM persons WHERE departed_on IS NULL;
        CREATE VIEW ent_structures AS
            SELECT jointure, uai,
                json_extract(attributes, '$.ENTStructureNomCourant[0]') AS name,
                json_extract(attributes, '$.ENTStructureTypeStruct[0]') AS type,
                json_extract(attributes, '$.ENTEcoleSecteur[0]') AS sector,
                json_extract(attributes, '$.ENTEcoleCirconscription[0]') AS district,
                json_extract(attributes, '$.ENTEcoleCommune[0]') AS municipality,
                json_extract(attributes, '$.ENTServAcAcademie[0]') AS academy,
                json_extract(attributes, '$.ENTStructureCodePostal[0]') AS postal_code,
                json_extract(attributes, '$.ENTStructureVille[0]') AS city,
                json_extract(attributes, '$.ENTStructureEmail[0]') AS mail,
                first_seen, updated_on, attributes
            FROM ent_structure_attributes;
        CREATE VIEW ent_people AS
            SELECT jointure,
                CASE category WHEN 'Eleve' THEN 'pupil' WHEN 'PersEducNat' THEN 'staff' ELSE 'guardian' END AS category,
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
            SELECT p.jointure,
                CASE p.category WHEN 'Eleve' THEN 'pupil' WHEN 'PersEducNat' THEN 'staff' ELSE 'guardian' END AS category,
                a.structure_jointure, s.uai
            FROM attachments a JOIN persons p ON p.id = a.person_id AND p.departed_on IS NULL
            LEFT JOIN structures s ON s.jointure = a.structure_jointure AND s.departed_on IS NULL;
        CREATE VIEW ent_memberships AS
            SELECT m.kind, m.structure_jointure, s.uai, m.code, m.label, p.jointure
            FROM memberships m JOIN persons p ON p.id = m.person_id AND p.departed_on IS NULL
            LEFT JOIN structures s ON s.jointure = m.structure_jointure AND s.departed_on IS NULL;
        CREATE VIEW ent_membership_sets AS
            SELECT kind, structure_jointure, uai, code, min(label) AS label, count(*) AS members
            FROM ent_memberships GROUP BY kind, structure_jointure, code;
        CREATE VIEW ent_class_members AS
            SELECT structure_jointure, uai, code AS class_code, label AS class_label, jointure
            FROM ent_memberships WHERE kind = 'class';
        CREATE VIEW ent_classes AS
            SELECT structure_jointure, uai, code, label, members FROM ent_membership_sets WHERE kind = 'class';
        CREATE VIEW ent_group_members AS
            SELECT structure_jointure, uai, code AS group_code, label AS group_label, jointure
            FROM ent_memberships WHERE kind = 'group';
        CREATE VIEW ent_groups AS
            SELECT structure_jointure, uai, code, label, members FROM ent_membership_sets WHERE kind = 'group';
        CREATE VIEW ent_guardianships AS
            SELECT p.jointure AS pupil_jointure, g.guardian_jointure, g.position + 1 AS rank
            FROM persons p JOIN guardianships g ON g.pupil_id = p.id
            CROSS JOIN persons gp ON gp.category = 'PersRelEleve' AND gp.jointure = g.guardian_jointure
                AND gp.departed_on IS NULL
            WHERE p.category = 'Eleve' AND p.departed_on IS NULL;
        CREATE VIEW ent_staff_functions AS
            SELECT p.jointure, f.structure_jointure, s.uai, f.position + 1 AS rank, f.function_code, f.function_label,
                f.position_code, f.position_label
            FROM functions f JOIN persons p ON p.id = f.person_id AND p.departed_on IS NULL
            LEFT JOIN structures s ON s.jointure = f.structure_jointure AND s.departed_on IS NULL;
        CREATE VIEW ent_directorships AS
            SELECT p.jointure, d.structure_jointure, s.uai
            FROM directorships d JOIN persons p ON p.id = d.person_id AND p.departed_on IS NULL
            LEFT JOIN structures s ON s.jointure = d.structure_jointure AND s.departed_on IS NULL;
        """#,
        // 8: exports are journaled with the administrator actions (issue 12): who, when, what, how many; no value.
        """
        ALTER TABLE admin_journal ADD COLUMN detail TEXT;
        """,
        // 9: the change feed (issue 12): what each import, purge or consent change did to each person and structure,
        // recorded in the same transaction (a rolled-back import records nothing): by triggers for updates,
        // departures, reactivations and deletions; creations by the import session in one statement at its end
        // (a trigger per inserted row doubled a first import's time). Categories, jointures and
        // attribute names only, never a value; `seq` never reused; purged with the journal (R11).
        changeFeed,
        // 10: the DPO's registers (issue 14): rights requests (convention art. 7), security incidents (art. 12),
        // the census of each import (counts by school and category: an incident's estimate of the people concerned),
        // and restriction: a person under an open restriction or opposition request stays in the directory but
        // leaves every view the ENT reads, and the change feed says so ("restricted", "unrestricted"). The feed's
        // triggers count a restricted person as not active for the ENT.
        registers,
        // 11: the stored form of attributes is canonical JSON (ADR 0016): views and triggers read it as it is.
        storedJSON,
        // 12: `status` and the purge read who is active or departed from an index, not from every row (issue 24).
        "CREATE INDEX persons_state ON persons(category, departed_on);",
        // 13: `status` reads the directory's counts from one small table the writers keep (issue 24): recounted by
        // an import that changed the directory and by a purge that deleted, inside their own transactions.
        """
        CREATE TABLE directory_counts (
            category TEXT PRIMARY KEY,
            active   INTEGER NOT NULL,
            departed INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO directory_counts (category, active, departed)
            SELECT 'EtabEducNat', count(*) - count(departed_on), count(departed_on) FROM structures
            UNION ALL SELECT category, count(*) - count(departed_on), count(departed_on) FROM persons GROUP BY category;
        """,
        // 14: `ent_people`'s six value columns are stored beside the attributes, written with them, and the view
        // reads them as plain columns (ADR 0018, issue 24).
        personColumns,
        // 15: `persons`' category CHECK, the same rule in comparisons: SQLite builds a temporary table for an `IN`
        // list of three constants at every inserted row, 2.5 µs each (ADR 0019, issue 24).
        categoryCheck,
        // 16: an import writes the feed's `updated` rows of the people it updates, the trigger those of every other
        // writer (ADR 0020, issue 24).
        personUpdates,
    ]

    /// Applies the migrations the database has not seen, each in its own transaction.
    ///
    /// Safe against any number of processes opening a new database at once (`aafd status` polling while
    /// `aafd run` starts): the version is read again inside each `BEGIN IMMEDIATE` transaction, which holds the
    /// write lock, so a migration another process applied meanwhile is skipped rather than run twice.
    static func migrate(_ connection: SQLiteConnection) throws {
        let current = try connection.scalarInt("PRAGMA user_version") ?? 0
        guard current <= all.count else {
            throw StoreError(
                "the database schema is version \(current), newer than this aafd knows (\(all.count)); upgrade aafd"
            )
        }
        guard current < all.count else { return }
        for (index, sql) in all.enumerated() where index + 1 > current {
            try connection.transaction {
                let now = try connection.scalarInt("PRAGMA user_version") ?? 0
                guard now == index else { return }  // applied by another process since
                try connection.execute(sql)
                try connection.execute("PRAGMA user_version = \(index + 1)")
            }
        }
    }
}
