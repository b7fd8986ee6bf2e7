extension Migrations {
    /// Migration 15 (ADR 0019, issue 24): `persons`' CHECK on the category, `category IN ('Eleve', 'PersEducNat',
    /// 'PersRelEleve')`, becomes the same rule in comparisons joined by OR.
    ///
    /// SQLite 3.40 codes an `IN` list of more than two constants with a temporary table, built and freed at every
    /// row the CHECK is evaluated for: 2.5 µs an inserted person, 0.6–0.8 s of a first import at 100,000 pupils.
    /// Comparisons cost a few instructions. Both accept exactly the same values (the column is NOT NULL, and the
    /// three names are compared with the same collation, BINARY).
    ///
    /// SQLite cannot alter a CHECK. The table is not rebuilt (a copy of every row, and the triggers, views and
    /// foreign keys that name it recreated): the constraint's text is replaced in `sqlite_schema`, as SQLite's
    /// ALTER TABLE documentation describes for changing constraints that every row already meets. `writable_schema
    /// = RESET` makes the connection that migrates read the schema again (it writes the first import next), and a
    /// table created and dropped changes the schema's version, so that every other connection reads it again too.
    /// The replacement is of one exact text, the one migration 1 wrote; a schema without it is left as it is (the
    /// rule holds either way).
    static let categoryCheck = """
        PRAGMA writable_schema = ON;
        UPDATE sqlite_schema
            SET sql = replace(sql, '\(inList)', '\(comparisons)')
            WHERE type = 'table' AND name = 'persons' AND instr(sql, '\(inList)') > 0;
        PRAGMA writable_schema = RESET;
        CREATE TABLE migration_15_schema_change (x);
        DROP TABLE migration_15_schema_change;
        """

    private static let inList = "CHECK (category IN (''Eleve'', ''PersEducNat'', ''PersRelEleve''))"
    private static let comparisons =
        "CHECK (category = ''Eleve'' OR category = ''PersEducNat'' OR category = ''PersRelEleve'')"
}
