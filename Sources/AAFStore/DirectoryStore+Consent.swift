import AAFModel

/// A recorded consent (R2): who consented (the person, by jointure), for what, when, and who recorded it.
public struct Consent: Sendable, Hashable, Encodable {
    public var jointure: String
    public var field: String
    public var grantedAt: String
    public var recordedBy: String

    /// The keys of `consent list --json` and of `person show --json`'s `consents`.
    enum CodingKeys: String, CodingKey {
        case jointure, field
        case grantedAt = "granted_at"
        case recordedBy = "recorded_by"
    }
}

/// The deletion is committed, but a reader kept its values in the database files past `erasure_wait_seconds`
/// (R12); the next run completes the erasure.
public struct ErasurePending: Error, Sendable {}

extension DirectoryStore {
    /// The consent field for a staff member's home address.
    public static let homeAddressField = "home-address"

    /// Recorded consents, for one person or all.
    public func consents(jointure: String? = nil) throws -> [Consent] {
        try connection.rows(
            "SELECT jointure, field, granted_at, recorded_by FROM consents WHERE ?1 IS NULL OR jointure = ?1 ORDER BY jointure, field",
            [.optional(jointure)]
        ) { row in
            Consent(
                jointure: row.text(0) ?? "",
                field: row.text(1) ?? "",
                grantedAt: row.text(2) ?? "",
                recordedBy: row.text(3) ?? ""
            )
        }
    }

    /// Staff jointures whose home address may be stored (R2): fed to the allow-list at each import.
    public func homeAddressConsents() throws -> Set<String> {
        Set(try consents().filter { $0.field == DirectoryStore.homeAddressField }.map(\.jointure))
    }

    /// Consents, and the administrator journal's link to a person, follow the person (R2, R8, R9, R11): once the
    /// staff member is no longer in the directory, the consent goes (a returning person starts with none) and the
    /// journal rows about them keep the action and date but lose the jointure. Runs inside the caller's
    /// transaction (the import's commit, the purge).
    ///
    /// - Returns: the consents removed.
    func forgetConsentsOfDeparted() throws -> Int {
        func gone(_ table: String) -> String {
            "NOT EXISTS (SELECT 1 FROM persons p WHERE p.category = 'PersEducNat' AND p.jointure = \(table).jointure)"
        }
        try connection.execute("DELETE FROM consents WHERE " + gone("consents"))
        let removed = connection.changes
        try connection.execute(
            "UPDATE admin_journal SET jointure = NULL WHERE jointure IS NOT NULL AND " + gone("admin_journal")
        )
        return removed
    }

    /// Records a consent and journals it. The next import stores the address.
    ///
    /// - Throws: ``StoreError`` when no staff member has that jointure.
    public func grantConsent(jointure: String, field: String, recordedBy: String, at: String) throws {
        try connection.transaction {
            guard
                try connection.scalarInt(
                    "SELECT count(*) FROM persons WHERE category = 'PersEducNat' AND jointure = ?1",
                    [.text(jointure)]
                ) == 1
            else {
                throw StoreError("no staff member with that jointure in the directory")
            }
            try connection.prepare(
                "INSERT OR REPLACE INTO consents (jointure, field, granted_at, recorded_by) VALUES (?1, ?2, ?3, ?4)"
            )
            .run([.text(jointure), .text(field), .text(at), .text(recordedBy)])
            try journal("consent-grant", jointure: jointure, field: field, recordedBy: recordedBy, at: at)
        }
    }

    /// Removes a consent and erases the stored address at once (R2), then truncates the WAL (R12).
    ///
    /// - Returns: whether a consent was there.
    @discardableResult
    public func revokeConsent(jointure: String, field: String, recordedBy: String, at: String) throws -> Bool {
        let existed = try connection.transaction { () -> Bool in
            try setChangeContext("consent", extractDate: nil)
            try connection.prepare("DELETE FROM consents WHERE jointure = ?1 AND field = ?2").run([
                .text(jointure), .text(field),
            ])
            let existed = connection.changes > 0
            let find = try connection.prepare(
                "SELECT id, attrs FROM persons WHERE category = 'PersEducNat' AND jointure = ?1"
            )
            try find.bind([.text(jointure)])
            if try find.step() {
                let id = find.int(0)
                let kept = AttributeCoding.decode(find.blob(1)).filter {
                    !AttributeCatalog.homeAddress.contains($0.name)
                }
                find.reset()
                let encoded = AttributeCoding.encode(kept)
                let update = try connection.prepare(
                    "UPDATE persons SET attrs = ?2, \(PersonColumns.assignments(from: 3)) WHERE id = ?1"
                )
                try update.bind([.int(id), .textBytes(encoded)])
                try update.bindPersonColumns(of: encoded, from: 3)
                try update.step()
            }
            try journal("consent-revoke", jointure: jointure, field: field, recordedBy: recordedBy, at: at)
            return existed
        }
        guard try completeErasure() else { throw ErasurePending() }
        return existed
    }

    private func journal(_ action: String, jointure: String, field: String, recordedBy: String, at: String) throws {
        try connection.prepare(
            "INSERT INTO admin_journal (at, action, jointure, field, recorded_by) VALUES (?1, ?2, ?3, ?4, ?5)"
        )
        .run([.text(at), .text(action), .text(jointure), .text(field), .text(recordedBy)])
    }
}
