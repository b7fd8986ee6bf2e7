extension Migrations {
    /// Migration 16 (ADR 0020, issue 24): an import writes the change feed's `updated` rows of the people it updates
    /// itself, the changed attribute names computed from the bytes it holds (``ImportSession``), and the trigger
    /// writes them for every other writer (a consent's revocation, a hand edit).
    ///
    /// The trigger compared the old and new attributes with `json_each`, parsing each object once per attribute of
    /// the other: 28 µs a person, 6.8 s of the 11.2 s of a Complet that updated every person of 100,000 pupils. Its
    /// condition is the same but for `source`: the import sets `import` in `change_context` when it begins and sets
    /// `admin` again before it commits, so a write after a committed import is never taken for the import's. An
    /// import of an earlier aafd left `import` there when it committed: the migration sets it back the same way.
    static let personUpdates = """
        UPDATE change_context SET source = 'admin', extract_date = NULL WHERE id = 1 AND source = 'import';
        DROP TRIGGER persons_updated;
        CREATE TRIGGER persons_updated AFTER UPDATE OF attrs ON persons
            WHEN OLD.attrs IS NOT NEW.attrs AND (SELECT source FROM change_context WHERE id = 1) IS NOT 'import' BEGIN
            \(personUpdatedRow)
        END;
        """

    /// ``changedAttributeNames`` as a statement, the old attributes bound as `?1` and the new as `?2` (text): what an
    /// import asks SQLite when a stored form is not in the shape ``AttributeCoding/changedNames(from:to:)`` reads.
    static let changedAttributeNamesQuery =
        "SELECT "
        + changedAttributeNames.replacing("OLD.attrs", with: "?1").replacing("NEW.attrs", with: "?2")
}
