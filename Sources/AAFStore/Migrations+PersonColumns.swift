import AAFModel

extension Migrations {
    /// Migration 14 (ADR 0018, issue 24): the six values `ent_people` shows in columns of their own (surname, birth
    /// surname, first name, civility, ISO birth date, mail) are stored in `persons` beside the attributes, written by
    /// every statement that writes `attrs` (``PersonColumns``). The view reads them as plain columns instead of
    /// extracting them from the JSON on every row of every read; its columns, order and meaning are unchanged
    /// (Docs/ent-interface.md, interface version 1). The rows already there are filled by SQLite's own reading, the
    /// expressions the view had. The values are those the row already held: same row, same lifecycle (purge,
    /// restriction, decommission, the ENT's copy).
    static let personColumns: String = {
        let added = PersonColumns.columns.map { "ALTER TABLE persons ADD COLUMN \($0) TEXT;" }
        let filled = PersonColumns.columns.indices.map { "\(PersonColumns.columns[$0]) = \(PersonColumns.sql($0))" }
        return """
            \(added.joined(separator: "\n"))
            UPDATE persons SET \(filled.joined(separator: ",\n    "));
            DROP VIEW ent_people;
            CREATE VIEW ent_people AS
                SELECT jointure, \(AAFCategory.entNameSQL("category")) AS category,
                    \(PersonColumns.columns.joined(separator: ", ")),
                    first_seen, updated_on, attrs AS attributes
                FROM persons WHERE departed_on IS NULL AND restricted = 0;
            """
    }()
}
