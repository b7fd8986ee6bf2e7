import AAFModel
import Foundation

/// The effective settings as last recorded, and their changes journaled (`store.settingsRecord`).
public struct SettingsRecordRegister {
    let store: DirectoryStore
    var connection: SQLiteConnection { store.connection }
    /// Records the effective settings (JSON of name → value) and their hash; when they differ from the last
    /// recorded, journals `settings-changed` with the hash and the names that changed (values stay in
    /// `directory_state` only: paths, host names, delays, no personal data).
    /// - Returns: the names that changed; empty on the first record or when nothing changed.
    public func record(_ json: String, hash: String, at: String) throws -> [String] {
        // Unchanged settings (every run but the first after a change) are recognised without a write transaction:
        // the import's damage check may still be running, and every commit waits for it (IntegrityGate).
        if try connection.scalarText("SELECT value FROM directory_state WHERE key = 'settings_hash'") == hash {
            return []
        }
        return try connection.transaction {
            let previous = try connection.scalarText("SELECT value FROM directory_state WHERE key = 'settings'")
            let previousHash = try connection.scalarText(
                "SELECT value FROM directory_state WHERE key = 'settings_hash'"
            )
            guard previousHash != hash else { return [] }
            for (key, value) in [("settings", json), ("settings_hash", hash)] {
                try connection.prepare(
                    "INSERT INTO directory_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2"
                ).run([.text(key), .text(value)])
            }
            guard let previous,
                let old = try? JSONSerialization.jsonObject(with: Data(previous.utf8)) as? [String: String],
                let new = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String]
            else {
                try store.journalAdmin("settings-recorded", jointure: nil, by: "aafd", at: at, detail: "hash \(hash)")
                return []
            }
            let changed = Set(old.keys).union(new.keys).filter { old[$0] != new[$0] }.sorted()
            try store.journalAdmin(
                "settings-changed",
                jointure: nil,
                by: "aafd",
                at: at,
                detail: "hash \(hash); changed: " + changed.joined(separator: ", ")
            )
            return changed
        }
    }
}
