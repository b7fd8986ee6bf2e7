import AAFModel
import Foundation

/// The directory as export records: one JSON object per active structure or person, built by SQL from the ENT's
/// views (Docs/ent-interface.md) and handed over one at a time, so an export's memory does not grow with the
/// directory.
extension DirectoryStore {
    /// The JSON object of every active entry of `category`, in jointure order within each category.
    ///
    /// Structures: `jointure`, `category` (`structure`), `uai`, `name`, `type`, `city`, `postal_code`, `mail`,
    /// `attributes`. People: `jointure`, `category` (`pupil`, `staff`, `guardian`), `surname`, `birth_surname`,
    /// `first_name`, `civility`, `birth_date`, `mail`, `schools` (`[{jointure, uai}]`), `classes` and `groups`
    /// (`[{structure, code, label}]`), `guardians` (jointures, in order), `functions`, `directs`, `attributes`.
    /// - Returns: how many records were handed over.
    @discardableResult
    public func exportRecords(of category: AAFCategory, _ body: (String) throws -> Void) throws -> Int {
        let sql = category == .structure ? Self.structureExportSQL : Self.personExportSQL
        let stmt = try connection.prepare(sql)
        if category != .structure { try stmt.bind([.text(category.rawValue)]) }
        var count = 0
        while try stmt.step() {
            try body(stmt.text(0) ?? "{}")
            count += 1
        }
        return count
    }

    /// Every class and group with its members' jointures: `{structure, uai, kind, code, label, members}`
    /// (``ExportGroup``), one JSON object at a time.
    @discardableResult
    public func exportGroups(_ body: (String) throws -> Void) throws -> Int {
        let stmt = try connection.prepare(
            """
            SELECT json_object('structure', structure_jointure, 'uai', uai, 'kind', 'class', 'code', class_code,
                'label', min(class_label), 'members', json_group_array(jointure))
            FROM ent_class_members GROUP BY structure_jointure, class_code
            UNION ALL
            SELECT json_object('structure', structure_jointure, 'uai', uai, 'kind', 'group', 'code', group_code,
                'label', min(group_label), 'members', json_group_array(jointure))
            FROM ent_group_members GROUP BY structure_jointure, group_code
            """
        )
        var count = 0
        while try stmt.step() {
            try body(stmt.text(0) ?? "{}")
            count += 1
        }
        return count
    }

    /// Runs `body` inside one read transaction: every part of an export sees the same directory.
    public func readingSnapshot<T>(_ body: () throws -> T) throws -> T {
        try connection.execute("BEGIN")
        defer { try? connection.execute("COMMIT") }
        return try body()
    }

    /// One class or group; nil when it has no active member. The UAI is the structure's, even closed (so that a
    /// group's name can be found to delete it).
    public func exportGroup(kind: String, structure: String, code: String) throws -> ExportGroup? {
        let view = kind == "class" ? "ent_class_members" : "ent_group_members"
        let prefix = kind == "class" ? "class" : "group"
        return try connection.rows(
            """
            SELECT json_object('structure', ?1, 'uai', (SELECT uai FROM structures WHERE jointure = ?1), 'kind', ?3,
                'code', ?2, 'label', min(\(prefix)_label), 'members', json_group_array(jointure))
            FROM (SELECT * FROM \(view) WHERE structure_jointure = ?1 AND \(prefix)_code = ?2 ORDER BY jointure)
            HAVING count(*) > 0
            """,
            [.text(structure), .text(code), .text(kind)]
        ) { $0.text(0) }.first.map { try ExportGroup(json: $0) }
    }

    /// A structure's UAI, even closed or gone from the directory's active part; nil when unknown.
    public func structureUAI(jointure: String) throws -> String? {
        try connection.scalarText("SELECT uai FROM structures WHERE jointure = ?1", [.text(jointure)])
    }

    static let structureExportSQL = """
        SELECT json_object('jointure', jointure, 'category', '\(AAFCategory.structure.entName)', 'uai', uai, 'name', name, 'type', type,
            'city', city, 'postal_code', postal_code, 'mail', mail, 'attributes', json(attributes))
        FROM ent_structures
        """

    /// The guardians the ENT may see of the pupil `x` (active, not restricted, as `ent_guardianships`), in the
    /// pupil's order, as `jointure`: one definition for both exports.
    static let guardiansOfPupilSQL = """
        SELECT g.guardian_jointure AS jointure
        FROM guardianships g CROSS JOIN persons gp ON gp.category = '\(AAFCategory.guardian.rawValue)'
            AND gp.jointure = g.guardian_jointure AND gp.departed_on IS NULL AND gp.restricted = 0
        WHERE g.pupil_id = x.id ORDER BY g.position
        """

    /// Driven by the persons table's (category, jointure) index; every link by the person's row id. The names, the
    /// ISO birth date and the mail are the stored columns `ent_people` shows (migration 14), not extracted from the
    /// attributes again; a guardian is listed only while the ENT may see them (active, not restricted), as in
    /// `ent_guardianships`.
    static let personExportSQL = """
        SELECT json_object(
            'jointure', x.jointure,
            'category', \(AAFCategory.entNameSQL("x.category")),
            'surname', x.surname, 'birth_surname', x.birth_surname, 'first_name', x.first_name,
            'civility', x.civility, 'birth_date', x.birth_date, 'mail', x.mail,
            'schools', (SELECT json_group_array(json_object('jointure', t.structure_jointure, 'uai', s.uai))
                FROM attachments t LEFT JOIN structures s ON s.jointure = t.structure_jointure AND s.departed_on IS NULL
                WHERE t.person_id = x.id),
            'classes', (SELECT json_group_array(json_object('structure', m.structure_jointure, 'code', m.code,
                'label', m.label)) FROM memberships m WHERE m.person_id = x.id AND m.kind = 'class'),
            'groups', (SELECT json_group_array(json_object('structure', m.structure_jointure, 'code', m.code,
                'label', m.label)) FROM memberships m WHERE m.person_id = x.id AND m.kind = 'group'),
            'guardians', (SELECT json_group_array(jointure) FROM (\(guardiansOfPupilSQL))),
            'functions', (SELECT json_group_array(json_object('structure', f.structure_jointure,
                'function_code', f.function_code, 'function_label', f.function_label,
                'position_code', f.position_code, 'position_label', f.position_label))
                FROM (SELECT * FROM functions WHERE person_id = x.id ORDER BY position) f),
            'directs', (SELECT json_group_array(d.structure_jointure) FROM directorships d WHERE d.person_id = x.id),
            'attributes', json(x.attrs))
        FROM persons x
        WHERE x.category = ?1 AND x.departed_on IS NULL AND x.restricted = 0
        ORDER BY x.category, x.jointure
        """
}
