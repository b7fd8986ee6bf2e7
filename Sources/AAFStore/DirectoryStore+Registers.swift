import AAFModel
import Foundation

// Helpers every register shares, inside the caller's transaction.
extension DirectoryStore {
    /// Makes `persons.restricted` match the open restriction and opposition requests, inside the caller's
    /// transaction; the change feed's triggers record each change of state. After each request change, both ways;
    /// at the end of an import, only restricting (a restricted person the académie sends again is restricted
    /// again): only a request's closing lifts a restriction, and lifting scans every person.
    func syncRestrictions(lifting: Bool = true) throws {
        try connection.execute(
            """
            UPDATE persons SET restricted = 1 WHERE restricted = 0 AND jointure IN (SELECT jointure FROM rights_requests
                WHERE closed_at IS NULL AND kind IN ('restriction', 'opposition'))
            """
        )
        guard lifting else { return }
        try connection.execute(
            """
            UPDATE persons SET restricted = 0 WHERE restricted = 1 AND jointure NOT IN (SELECT jointure FROM
                rights_requests WHERE closed_at IS NULL AND kind IN ('restriction', 'opposition'))
            """
        )
    }

    /// One administrator journal row (who, when, what; `detail` holds no value from the directory).
    func journalAdmin(_ action: String, jointure: String?, by: String, at: String, detail: String?) throws {
        try connection.prepare(
            "INSERT INTO admin_journal (at, action, jointure, recorded_by, detail) VALUES (?1, ?2, ?3, ?4, ?5)"
        ).run([.text(at), .text(action), .optional(jointure), .text(by), .optional(detail)])
    }
}

// The registers, each a type of its own over the store's one connection (issue 22).
extension DirectoryStore {
    public var requests: RightsRequestRegister { RightsRequestRegister(store: self) }
    public var securityIncidents: SecurityIncidentRegister { SecurityIncidentRegister(store: self) }
    public var incidents: RunIncidentRegister { RunIncidentRegister(store: self) }
    public var adminJournal: AdminJournal { AdminJournal(store: self) }
    public var census: CensusRegister { CensusRegister(store: self) }
    public var settingsRecord: SettingsRecordRegister { SettingsRecordRegister(store: self) }
    public var changeFeed: ChangeFeed { ChangeFeed(store: self) }
    public var copyPublisher: CopyPublisher { CopyPublisher(store: self) }
}
