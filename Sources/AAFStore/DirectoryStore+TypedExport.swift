import AAFModel
import Foundation

/// The export's records as plain columns, decoded by name (issue 24): what CSV and LDIF write, without building a
/// JSON text per record in SQL and parsing it back in Swift. JSON Lines keeps the JSON the store builds.
extension DirectoryStore {
    /// One row of ``typedExportSQL(for:)``: lists joined by the unit separator (no XML value can hold it).
    /// An export row's columns, read by name: the names are looked up once per statement (``Indexes``), then each
    /// row is read by index. (Decoding each row through `Decodable` looked every name up again: a fifth of an LDIF
    /// export's time at 100,000 pupils, issue 24.)
    struct ExportColumns {
        var jointure: String
        var category: String
        var uai: String?
        var name: String?
        var type: String?
        var city: String?
        var postalCode: String?
        var mail: String?
        var surname: String?
        var birthSurname: String?
        var firstName: String?
        var civility: String?
        var birthDate: String?
        var schools: String?
        var classes: String?
        var groups: String?
        var guardians: String?
        var functions: String?

        /// The columns, by their names in ``typedExportSQL(for:oneJointure:)``.
        enum Column: Int, CaseIterable {
            case jointure, category, uai, name, type, city, postalCode, mail, surname, birthSurname, firstName
            case civility, birthDate, schools, classes, groups, guardians, functions

            var sqlName: String {
                switch self {
                case .postalCode: "postal_code"
                case .birthSurname: "birth_surname"
                case .firstName: "first_name"
                case .birthDate: "birth_date"
                default: "\(self)"
                }
            }
        }

        /// Each column's index in the statement, looked up by name once; a missing column is an error at once.
        struct Indexes {
            private let index: [Int32]

            init(_ columns: [String: Int32]) throws {
                index = try Column.allCases.map { column in
                    guard let i = columns[column.sqlName] else {
                        throw StoreError("export column \(column.sqlName) missing")
                    }
                    return i
                }
            }

            subscript(column: Column) -> Int32 { index[column.rawValue] }
        }

        init(_ row: Statement, _ at: Indexes) throws {
            func text(_ column: Column) -> String? { row.text(at[column]) }
            guard let jointure = text(.jointure), let category = text(.category) else {
                throw StoreError("an export row has no jointure or category")
            }
            self.jointure = jointure
            self.category = category
            uai = text(.uai)
            name = text(.name)
            type = text(.type)
            city = text(.city)
            postalCode = text(.postalCode)
            mail = text(.mail)
            surname = text(.surname)
            birthSurname = text(.birthSurname)
            firstName = text(.firstName)
            civility = text(.civility)
            birthDate = text(.birthDate)
            schools = text(.schools)
            classes = text(.classes)
            groups = text(.groups)
            guardians = text(.guardians)
            functions = text(.functions)
        }

        var record: ExportRecord? {
            guard let category = AAFCategory(entName: category) else { return nil }
            func list(_ text: String?) -> [String] {
                text.map { $0.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init) } ?? []
            }
            return ExportRecord(
                jointure: jointure,
                category: category,
                uai: uai,
                name: name,
                type: type,
                city: city,
                postalCode: postalCode,
                mail: mail,
                surname: surname,
                birthSurname: birthSurname,
                firstName: firstName,
                civility: civility,
                birthDate: birthDate,
                schools: list(schools),
                classes: list(classes),
                groups: list(groups),
                guardians: list(guardians),
                functions: list(functions).map { f in
                    let parts = f.split(separator: "$", maxSplits: 2, omittingEmptySubsequences: false).map {
                        $0 == "\u{1E}" ? nil : String($0)
                    }
                    return ExportRecord.Function(
                        structure: parts.first ?? nil,
                        functionCode: parts.count > 1 ? parts[1] : nil,
                        positionCode: parts.count > 2 ? parts[2] : nil
                    )
                }
            )
        }
    }

    /// Every active entry of `category` as an ``ExportRecord`` (the fields CSV and LDIF use), in jointure order.
    /// - Returns: how many were handed over.
    @discardableResult
    public func typedExportRecords(of category: AAFCategory, _ body: (ExportRecord) throws -> Void) throws -> Int {
        try typedExport(category, jointure: nil, body)
    }

    /// One active entry's record (the LDIF change records); nil when absent, departed, closed or restricted.
    public func typedExportRecord(of category: AAFCategory, jointure: String) throws -> ExportRecord? {
        var found: ExportRecord?
        _ = try typedExport(category, jointure: jointure) { found = $0 }
        return found
    }

    private func typedExport(
        _ category: AAFCategory,
        jointure: String?,
        _ body: (ExportRecord) throws -> Void
    ) throws -> Int {
        let stmt = try connection.prepare(Self.typedExportSQL(for: category, oneJointure: jointure != nil))
        let bindings: [SQLValue] =
            (category == .structure ? [] : [.text(category.rawValue)]) + (jointure.map { [.text($0)] } ?? [])
        if !bindings.isEmpty { try stmt.bind(bindings) }
        var count = 0
        let columns = try ExportColumns.Indexes(RowDecoder.columns(of: stmt))
        while try stmt.step() {
            guard let record = try ExportColumns(stmt, columns).record else {
                throw StoreError("an export row has an unknown category")
            }
            try body(record)
            count += 1
        }
        return count
    }

    /// `oneJointure`: only the entry whose jointure is the last parameter.
    static func typedExportSQL(for category: AAFCategory, oneJointure: Bool) -> String {
        if category == .structure {
            return """
                SELECT jointure, '\(AAFCategory.structure.entName)' AS category, uai, name, type, city, postal_code,
                    mail, NULL AS surname, NULL AS birth_surname, NULL AS first_name, NULL AS civility,
                    NULL AS birth_date, NULL AS schools, NULL AS classes, NULL AS groups, NULL AS guardians,
                    NULL AS functions
                FROM ent_structures
                """ + (oneJointure ? " WHERE jointure = ?1" : "")
        }
        // A function's missing part is RS (no XML value holds it), told apart from an empty one. Names, birth date
        // and mail from the stored columns (migration 14); a guardian only while active and not restricted.
        return """
            SELECT x.jointure, \(AAFCategory.entNameSQL("x.category")) AS category, NULL AS uai, NULL AS name,
                NULL AS type, NULL AS city, NULL AS postal_code,
                x.mail AS mail, x.surname AS surname, x.birth_surname AS birth_surname, x.first_name AS first_name,
                x.civility AS civility, x.birth_date AS birth_date,
                (SELECT group_concat(coalesce(s.uai, t.structure_jointure), char(31))
                    FROM attachments t LEFT JOIN structures s ON s.jointure = t.structure_jointure
                        AND s.departed_on IS NULL
                    WHERE t.person_id = x.id) AS schools,
                (SELECT group_concat(m.code, char(31)) FROM memberships m
                    WHERE m.person_id = x.id AND m.kind = 'class') AS classes,
                (SELECT group_concat(m.code, char(31)) FROM memberships m
                    WHERE m.person_id = x.id AND m.kind = 'group') AS groups,
                (SELECT group_concat(jointure, char(31)) FROM (\(guardiansOfPupilSQL))) AS guardians,
                (SELECT group_concat(coalesce(f.structure_jointure, char(30)) || '$' || coalesce(f.function_code, char(30))
                    || '$' || coalesce(f.position_code, char(30)), char(31))
                    FROM (SELECT * FROM functions WHERE person_id = x.id ORDER BY position) f) AS functions
            FROM persons x
            WHERE x.category = ?1 \(oneJointure ? "AND x.jointure = ?2" : "") AND x.departed_on IS NULL
                AND x.restricted = 0
            ORDER BY x.category, x.jointure
            """
    }
}
