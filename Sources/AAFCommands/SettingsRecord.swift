import AAFDigest
import AAFModel
import AAFPipeline
import AAFStore
import Foundation
import Logging

/// Changes of configuration that affect processing (convention art. 6.1: "ne faire évoluer les conditions de mise
/// en œuvre dudit traitement qu'avec l'accord préalable de l'académie"; issue 14). At each start of a run (import,
/// the daemon's cycles), the effective settings, defaults included, are compared with those recorded last; a
/// difference is journaled (`settings-changed`, the hash and the names of the settings that changed, never a
/// value) so that the DPO can show what changed, and when.
enum SettingsRecord {
    /// Every effective setting, by its TOML key (`[retention] record_max_age_years`), defaults included
    /// (``SettingsTable``): the names an administrator and the académie read, and nothing that changes by itself
    /// (a time zone is recorded by name, not by its offset of the day).
    static func flatten(_ configuration: Configuration) -> [String: String] {
        SettingsTable.effective(configuration)
    }

    /// Compares with the record and journals a change; returns the names of the settings that changed (empty when
    /// none, or when this is the first record).
    @discardableResult
    static func check(_ configuration: Configuration, store: DirectoryStore, logger: Logger) -> [String] {
        let settings = flatten(configuration)
        guard let data = try? JSONSerialization.data(withJSONObject: settings, options: [.sortedKeys]) else {
            return []
        }
        let text = String(decoding: data, as: UTF8.self)
        do {
            let changed = try store.settingsRecord.record(
                text,
                hash: SHA256Hasher.hex(text),
                at: Timestamp.string(configuration.importSettings.now())
            )
            if !changed.isEmpty {
                logger.notice(
                    "the settings that govern processing changed since the last run (journaled; art. 6.1: the académie agrees first)",
                    metadata: ["settings.changed": "\(changed.joined(separator: ","))"]
                )
            }
            return changed
        } catch {
            logger.warning("cannot record the effective settings", metadata: ["error": "\(error)"])
            return []
        }
    }
}
