import AAFModel

/// Everything the directory holds about one person (R14): attributes, links, dates.
public struct PersonDetails: Sendable, Hashable {
    public struct StructureLink: Sendable, Hashable, Encodable {
        public var jointure: String
        /// The school's UAI, nil when the structure is not in the directory.
        @NullEncoded public var uai: String?

    }

    public struct PersonLink: Sendable, Hashable, Encodable {
        public var jointure: String
        /// Whether that person is stored (a referenced guardian may be absent from the directory).
        public var stored: Bool
        @NullEncoded public var departedOn: ExtractDate?

        enum CodingKeys: String, CodingKey {
            case jointure, stored
            case departedOn = "departed_on"
        }
    }

    public var category: AAFCategory
    public var jointure: String
    public var attributes: [AAFAttribute]
    public var firstSeen: ExtractDate?
    public var updatedOn: ExtractDate?
    public var departedOn: ExtractDate?
    public var purgeDue: ExtractDate?
    public var structures: [StructureLink] = []
    public var classes: [Membership] = []
    public var groups: [Membership] = []
    public var functions: [StaffFunction] = []
    public var directs: [StructureLink] = []
    /// For a pupil: guardians; for a guardian: pupils.
    public var guardians: [PersonLink] = []
    public var pupils: [PersonLink] = []
}

extension DirectoryStore {
    /// Every person stored under `jointure` (one per category at most). Structures are not people.
    public func persons(jointure: String) throws -> [PersonDetails] {
        let stmt = try connection.prepare(
            "SELECT id, category, attrs, first_seen, updated_on, departed_on, purge_due FROM persons WHERE jointure = ? ORDER BY category"
        )
        try stmt.bind([.text(jointure)])
        var found: [(Int, PersonDetails)] = []
        while try stmt.step() {
            guard let category = AAFCategory(rawValue: stmt.text(1) ?? "") else { continue }
            let details = PersonDetails(
                category: category,
                jointure: jointure,
                attributes: AttributeCoding.decode(stmt.blob(2)),
                firstSeen: stmt.text(3).flatMap { ExtractDate(iso: $0) },
                updatedOn: stmt.text(4).flatMap { ExtractDate(iso: $0) },
                departedOn: stmt.text(5).flatMap { ExtractDate(iso: $0) },
                purgeDue: stmt.text(6).flatMap { ExtractDate(iso: $0) }
            )
            found.append((stmt.int(0), details))
        }
        return try found.map { id, details in try withLinks(id: id, details) }
    }

    private func withLinks(id: Int, _ person: PersonDetails) throws -> PersonDetails {
        var p = person
        p.structures = try structureLinks(
            "SELECT a.structure_jointure, s.uai FROM attachments a LEFT JOIN structures s ON s.jointure = a.structure_jointure WHERE a.person_id = ? ORDER BY 1",
            id
        )
        p.directs = try structureLinks(
            "SELECT d.structure_jointure, s.uai FROM directorships d LEFT JOIN structures s ON s.jointure = d.structure_jointure WHERE d.person_id = ? ORDER BY 1",
            id
        )
        let memberships = try connection.prepare(
            "SELECT kind, structure_jointure, code, label FROM memberships WHERE person_id = ? ORDER BY kind, structure_jointure, code"
        )
        try memberships.bind([.int(id)])
        while try memberships.step() {
            let kind: Membership.Kind = memberships.text(0) == "class" ? .class : .group
            let link = Membership(
                kind: kind,
                structure: memberships.text(1) ?? "",
                code: memberships.text(2) ?? "",
                label: memberships.text(3) ?? ""
            )
            if kind == .class { p.classes.append(link) } else { p.groups.append(link) }
        }
        let functions = try connection.prepare(
            "SELECT structure_jointure, function_code, function_label, position_code, position_label FROM functions WHERE person_id = ? ORDER BY position"
        )
        try functions.bind([.int(id)])
        while try functions.step() {
            p.functions.append(
                .init(
                    structure: functions.text(0) ?? "",
                    functionCode: functions.text(1),
                    functionLabel: functions.text(2),
                    positionCode: functions.text(3),
                    positionLabel: functions.text(4)
                )
            )
        }
        switch p.category {
        case .pupil:
            p.guardians = try personLinks(
                """
                SELECT g.guardian_jointure, p.id IS NOT NULL, p.departed_on FROM guardianships g
                LEFT JOIN persons p ON p.category = 'PersRelEleve' AND p.jointure = g.guardian_jointure
                WHERE g.pupil_id = ? ORDER BY g.position
                """,
                .int(id)
            )
        case .guardian:
            p.pupils = try personLinks(
                """
                SELECT p.jointure, 1, p.departed_on FROM guardianships g JOIN persons p ON p.id = g.pupil_id
                WHERE g.guardian_jointure = ? ORDER BY p.jointure
                """,
                .text(p.jointure)
            )
        default:
            break
        }
        return p
    }

    private func structureLinks(_ sql: String, _ id: Int) throws -> [PersonDetails.StructureLink] {
        let stmt = try connection.prepare(sql)
        try stmt.bind([.int(id)])
        var links: [PersonDetails.StructureLink] = []
        while try stmt.step() { links.append(.init(jointure: stmt.text(0) ?? "", uai: stmt.text(1))) }
        return links
    }

    private func personLinks(_ sql: String, _ key: SQLValue) throws -> [PersonDetails.PersonLink] {
        let stmt = try connection.prepare(sql)
        try stmt.bind([key])
        var links: [PersonDetails.PersonLink] = []
        while try stmt.step() {
            links.append(
                .init(
                    jointure: stmt.text(0) ?? "",
                    stored: stmt.int(1) != 0,
                    departedOn: stmt.text(2).flatMap { ExtractDate(iso: $0) }
                )
            )
        }
        return links
    }
}

/// Every row of every table that refers to one person, found from the schema itself (R14: complete by
/// construction): a table is searched when it has a column named `jointure` or ending in `_jointure` (compared
/// with the jointure), or `person_id`/`pupil_id` (compared with the person's row ids). A table added later is
/// included without anyone remembering to.
public struct StoredRows: Sendable, Hashable {
    /// table → rows, each row column → value (text; BLOBs are summarised, their content is in `attributes`).
    public var tables: [String: [[String: String?]]] = [:]
    public var isEmpty: Bool { tables.values.allSatisfy(\.isEmpty) }
}

extension DirectoryStore {
    public func storedRows(jointure: String) throws -> StoredRows {
        var ids: [Int] = []
        let find = try connection.prepare("SELECT id FROM persons WHERE jointure = ?1")
        try find.bind([.text(jointure)])
        while try find.step() { ids.append(find.int(0)) }

        var tables: [String] = []
        let list = try connection.prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        while try list.step() { tables.append(list.text(0) ?? "") }

        var result = StoredRows()
        for table in tables {
            var columns: [String] = []
            let info = try connection.prepare("SELECT name FROM pragma_table_info(?1)")
            try info.bind([.text(table)])
            while try info.step() { columns.append(info.text(0) ?? "") }
            var conditions: [String] = []
            var bindings: [SQLValue] = []
            for column in columns {
                if column == "jointure" || column.hasSuffix("_jointure") {
                    bindings.append(.text(jointure))
                    conditions.append("\"\(column)\" = ?\(bindings.count)")
                } else if column == "person_id" || column == "pupil_id" || (table == "persons" && column == "id"),
                    !ids.isEmpty
                {
                    conditions.append("\"\(column)\" IN (\(ids.map(String.init).joined(separator: ",")))")
                }
            }
            guard !conditions.isEmpty else { continue }
            let select = try connection.prepare(
                "SELECT \(columns.map { "\"\($0)\"" }.joined(separator: ", ")), \(columns.map { "typeof(\"\($0)\")" }.joined(separator: ", ")) FROM \"\(table)\" WHERE "
                    + conditions.joined(separator: " OR ")
            )
            try select.bind(bindings)
            var rows: [[String: String?]] = []
            while try select.step() {
                var row: [String: String?] = [:]
                for (k, column) in columns.enumerated() {
                    let type = select.text(Int32(columns.count + k)) ?? "null"
                    row[column] =
                        type == "null"
                        ? .some(nil) : (type == "blob" ? "(stored attributes: see attributes)" : select.text(Int32(k)))
                }
                rows.append(row)
            }
            if !rows.isEmpty { result.tables[table] = rows }
        }
        return result
    }
}
