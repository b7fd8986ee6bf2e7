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
    /// Every effective setting as `path = value`, from the configuration's own properties (defaults included).
    static func flatten(_ configuration: Configuration) -> [String: String] {
        var result: [String: String] = [:]
        func walk(_ value: Any, _ path: String, depth: Int) {
            let mirror = Mirror(reflecting: value)
            switch mirror.displayStyle {
            case .optional:
                if let child = mirror.children.first {
                    walk(child.value, path, depth: depth)
                } else {
                    result[path] = "unset"
                }
            case .struct where depth < 4 && !mirror.children.isEmpty:
                for child in mirror.children {
                    guard let label = child.label else { continue }
                    let name = label.hasPrefix("_") ? String(label.dropFirst()) : label
                    walk(child.value, path.isEmpty ? name : "\(path).\(name)", depth: depth + 1)
                }
            case .set:
                result[path] = mirror.children.map { "\($0.value)" }.sorted().joined(separator: ",")
            default:
                // Functions (the clock, callbacks) are not settings.
                if !(String(describing: type(of: value)).contains("->")) { result[path] = "\(value)" }
            }
        }
        walk(configuration, "", depth: 0)
        return result
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
            let changed = try store.recordSettings(
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
