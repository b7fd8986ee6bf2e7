import AAFModel
import AAFTestSupport
import Foundation
import Testing

@testable import AAFCommands

/// One declared table of settings drives the reading (issue 22): every integer setting's bounds come from
/// `SettingsTable`, in-process, without the binary.
@Suite("The settings table drives the reading")
struct SettingsTableTests {
    /// A configuration with one key set; the rest minimal (an `[sftp]` section only when the key is in it).
    private func load(_ section: String, _ key: String, _ value: Int) throws -> Configuration {
        let temp = TemporaryDirectory("settings-table")
        var text = "[directory]\ndatabase = \"\(temp.file("aafd.sqlite3"))\"\n"
        if section == "sftp" {
            text += """
                [sftp]
                host = "127.0.0.1"
                user = "aafd"
                private_key = "\(temp.file("key"))"
                known_hosts = "\(temp.file("known_hosts"))"
                remote_dir = "/"
                \(key) = \(value)

                """
        } else if section != "directory" {
            text += "[\(section)]\n\(key) = \(value)\n"
        }
        let path = temp.file("aafd.toml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return try withExtendedLifetime(temp) { try Configuration.load(path: path) }
    }

    @Test("every integer setting with a range: its bounds are accepted, one past either is refused (78) by name")
    func rangesFromTheTable() throws {
        let ranged = SettingsTable.all.filter { $0.range != nil }
        #expect(ranged.count >= 16)
        for setting in ranged {
            let range = try #require(setting.range)
            let accepted = try load(setting.section, setting.key, range.lowerBound)
            #expect(SettingsTable.effective(accepted)[setting.name] != nil, "\(setting.name)")
            for outside in [range.lowerBound - 1, range.upperBound == Int.max ? nil : range.upperBound + 1]
                .compactMap({ $0 })
            {
                do {
                    _ = try load(setting.section, setting.key, outside)
                    Issue.record("\(setting.name) = \(outside) was accepted")
                } catch let failure as CommandFailure {
                    #expect(failure.status == .config, "\(setting.name)")
                    #expect(failure.message.contains(setting.name), "\(setting.name): \(failure.message)")
                }
            }
        }
    }

    @Test("a retention delay beyond the convention's says so and which rule")
    func conventionLimit() throws {
        do {
            _ = try load("retention", "record_max_age_years", 3)
            Issue.record("accepted")
        } catch let failure as CommandFailure {
            #expect(failure.message.contains("at most 2, the convention's limit (R9)"), "\(failure.message)")
        }
    }
}
