import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

@testable import AAFCommands

#if canImport(Glibc)
import Glibc
#endif

/// A configuration in a temporary folder, and the real `aafd` binary.
final class CLI {
    let temp = TemporaryDirectory("cli")
    let config: String
    var database: String { temp.file("state/aafd.sqlite3") }

    init(extra: String = "") {
        config = temp.write("aafd.toml", "[directory]\ndatabase = \"\(temp.file("state/aafd.sqlite3"))\"\n\(extra)")
    }

    @discardableResult
    func run(_ arguments: [String]) throws -> ProcessResult {
        try runProgram(Paths.aafdBinary, arguments, environment: ["PATH": "/usr/bin:/bin", "AAFD_LOG_LEVEL": "info"])
    }

    /// A copy of a committed fixture day in a new folder (files whose name contains `except` left out), for a test
    /// to change; returns the folder.
    func copyOfDay(_ compact: String, except: String? = nil) throws -> String {
        let folder = temp.folder("day-\(compact)-\(UUID().uuidString.prefix(6))")
        let source = Paths.fixtures.appendingPathComponent("ent1d/\(compact)").path
        for name in try FileManager.default.contentsOfDirectory(atPath: source)
        where except.map({ !name.contains($0) }) ?? true {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: folder + "/" + name)
        }
        return folder
    }

    func importDay(_ compact: String, _ extra: [String] = []) throws -> ProcessResult {
        try run(
            [
                "import", "--config", config, "--from-dir",
                Paths.fixtures.appendingPathComponent("ent1d/\(compact)").path,
            ] + extra
        )
    }

    /// Today where the binary runs (UTC date of the machine clock: aafd uses the local time zone, CI runs in UTC).
    var today: ExtractDate {
        let c = Calendar.current.dateComponents([.year, .month, .day], from: Date())
        return ExtractDate(year: c.year!, month: c.month!, day: c.day!)!
    }

    /// Writes `directory` as the delivery of `date` and imports it.
    func importSynthetic(_ directory: SyntheticDirectory, date: ExtractDate) throws -> ProcessResult {
        let folder = temp.folder("delivery-\(date.compact)")
        var writer = DeliveryWriter()
        writer.partSize = 1000
        try writer.write(directory, date: date, to: folder)
        return try run(["import", "--config", config, "--from-dir", folder])
    }

    func json(_ arguments: [String]) throws -> [String: Any] {
        let result = try run(arguments)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
    }
}

@Suite("aafd command line")
struct CommandLineTests {
    @Test("under systemd (JOURNAL_STREAM names stderr), every line carries its priority: errors <3>, notes <6>")
    func journalPriorities() throws {
        let cli = CLI()
        let log = cli.temp.file("journal.txt")
        func run(_ arguments: [String], journal: Bool) throws -> String {
            let fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            defer { close(fd) }
            var info = stat()
            fstat(fd, &info)
            var environment = ["PATH": "/usr/bin:/bin", "AAFD_LOG_LEVEL": "info"].merging(sanitizerOptions) { a, _ in a
            }
            if journal { environment["JOURNAL_STREAM"] = "\(info.st_dev):\(info.st_ino)" }
            let child = try ChildProcess(Paths.aafdBinary, arguments, environment: environment, stderr: fd)
            child.wait()
            return try String(contentsOfFile: log, encoding: .utf8)
        }
        let day = Paths.fixtures.appendingPathComponent("ent1d/20250901").path
        let imported = try run(["import", "--config", cli.config, "--from-dir", day], journal: true)
        let lines = imported.split(separator: "\n")
        #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("<") })
        #expect(lines.contains { $0.hasPrefix("<6>info") && $0.contains("import finished") })
        let bad = cli.temp.write("bad.toml", "")
        let refused = try run(["status", "--config", bad], journal: true)
        #expect(refused.hasPrefix("<3>aafd: ") && refused.contains("database is required"))
        // Anywhere else (a terminal, a pipe, a file not named by JOURNAL_STREAM): no prefix.
        let plain = try run(["status", "--config", bad], journal: false)
        #expect(plain.hasPrefix("aafd: "))
    }

    @Test("aafd --version prints the version from its one place (AAFCommands/Version.swift), exit 0")
    func version() throws {
        let source = try String(
            contentsOf: Paths.root.appendingPathComponent("Sources/AAFCommands/Version.swift"),
            encoding: .utf8
        )
        let declared = try #require(source.split(separator: "\"").dropFirst().first.map(String.init))
        let result = try runProgram(Paths.aafdBinary, ["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == declared)
    }

    @Test("import exits 0; status --json has the contract's keys; nothing personal in status or logs (R15)")
    func importAndStatus() throws {
        let cli = CLI()
        let result = try cli.importDay("20250901")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("students"))
        let status = try cli.json(["status", "--config", cli.config, "--json"])
        let directory = try #require(status["directory"] as? [String: Any])
        #expect(directory["structures"] as? Int == 3)
        #expect(directory["students"] as? Int == 60)
        #expect(directory["staff"] as? Int == 5)
        #expect(directory["guardians"] as? Int == 88)
        #expect(directory["departed"] as? Int == 0)
        let last = try #require(status["last_import"] as? [String: Any])
        #expect(last["outcome"] as? String == "imported")
        #expect(last["extract_date"] as? String == "2025-09-01")
        #expect((last["finished_at"] as? String)?.isEmpty == false)
        let success = try #require(status["last_success"] as? [String: Any])
        #expect(success["extract_date"] as? String == "2025-09-01")

        let human = try cli.run(["status", "--config", cli.config])
        for text in [result.stdout, result.stderr, human.stdout, human.stderr] {
            for p in Scenario.base.pupils.prefix(20) { #expect(!text.contains(p.surname)) }
        }
    }

    @Test("person show --json: category, AAF attributes (lists as arrays), links, departure and purge dates (R14)")
    func personShow() throws {
        let cli = CLI()
        // Dated yesterday and today: every import also purges as of today, and this departure is this year's.
        let today = cli.today
        let yesterday = today.adding(days: -1)
        #expect(try cli.importSynthetic(Scenario.day(1), date: yesterday).status == 0)
        #expect(try cli.importSynthetic(Scenario.day(2), date: today).status == 0)
        let leaving = Scenario.leavingPupil
        let person = try cli.json(["person", "show", leaving.jointure, "--config", cli.config, "--json"])
        #expect(person["category"] as? String == "Eleve")
        #expect(person["departed_on"] as? String == today.iso)
        #expect(person["purge_due"] as? String == today.firstDayOfNextYear.iso)
        let attributes = try #require(person["attributes"] as? [String: Any])
        #expect((attributes["ENTPersonNom"] as? String)?.hasPrefix(leaving.surname) == true)
        #expect(attributes["ENTPersonPrenom"] as? String == leaving.firstName)
        #expect(attributes["ENTEleveAutoriteParentale"] as? [String] == leaving.guardians.map { "\($0)$1$1$1$1$1" })
        #expect(attributes["ENTEleveINE"] == nil)
        let links = try #require(person["links"] as? [String: Any])
        let guardians = try #require(links["guardians"] as? [[String: Any]])
        #expect(guardians.compactMap { $0["jointure"] as? String } == leaving.guardians)
        let structures = try #require(links["structures"] as? [[String: Any]])
        #expect(structures.first?["jointure"] as? String == leaving.school)

        let guardian = try cli.json(["person", "show", leaving.guardians[0], "--config", cli.config, "--json"])
        #expect(guardian["category"] as? String == "PersRelEleve")
        let pupils = try #require((guardian["links"] as? [String: Any])?["pupils"] as? [[String: Any]])
        #expect(pupils.first?["jointure"] as? String == leaving.jointure)
    }

    @Test("person show of an unknown jointure exits 66")
    func unknownPerson() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let result = try cli.run(["person", "show", "0000000", "--config", cli.config])
        #expect(result.status == 66)
    }

    @Test("a refused delivery exits 65 with file and line on stderr; --dry-run exits 0 and commits nothing")
    func refusedAndDryRun() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250902").status == 0)
        let older = try cli.importDay("20250901")
        #expect(older.status == 65)
        #expect(older.stderr.contains("older"))
        let dry = try cli.importDay("20250903", ["--dry-run"])
        #expect(dry.status == 0)
        #expect(dry.stdout.contains("Dry run"))
        let status = try cli.json(["status", "--config", cli.config, "--json"])
        #expect((status["last_success"] as? [String: Any])?["extract_date"] as? String == "2025-09-02")
        let last = try #require(status["last_import"] as? [String: Any])
        #expect(last["outcome"] as? String == "refused")
    }

    @Test(
        "configuration errors exit 78 with the file and the key",
        arguments: [
            ("", "database is required"),
            ("[directory]\ndatabase = 3\n", "must be a string"),
            ("[directory]\ndatabse = \"/tmp/x\"\n", "unknown key databse"),
            // Table headers that made TOMLKit abort the process (found by fuzzing): now a clean 78 with the line.
            ("[.", ":1: a table name must start"),
            ("[directory]\n[ #x]\n", ":2: a table name must start"),
            ("# \"\"\"\n[\u{DC}\n", ":2: a table name must start"),
            ("[[[", ":1: a table name must start"),
            ("[\u{6E0}\n", ":1: a table name must start"),
            ("[directry]\n", "unknown section"),
            ("[directory]\ndatabase = \"/tmp/x\"\n[import]\ndeparture_guard_percent = 400\n", "between 0 and 100"),
            ("[directory\n", "invalid TOML"),
        ]
    )
    func badConfig(text: String, expected: String) throws {
        let temp = TemporaryDirectory("config")
        let path = temp.write("bad.toml", text)
        let result = try runProgram(Paths.aafdBinary, ["status", "--config", path])
        #expect(result.status == 78)
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(result.stderr.contains("bad.toml"))
        let missing = try runProgram(Paths.aafdBinary, ["status", "--config", temp.file("none.toml")])
        #expect(missing.status == 78)
    }

    @Test("Config/aafd.example.toml is valid and names every key aafd accepts")
    func exampleConfig() throws {
        let temp = TemporaryDirectory("example")
        let example = try String(
            contentsOf: Paths.root.appendingPathComponent("Config/aafd.example.toml"),
            encoding: .utf8
        )
        let path = temp.write(
            "aafd.toml",
            example.replacingOccurrences(of: "/var/lib/aafd/aafd.sqlite3", with: temp.file("db/aafd.sqlite3"))
        )
        let result = try runProgram(Paths.aafdBinary, ["status", "--config", path])
        #expect(result.status == 0, "\(result.stderr)")
        // Every key of the one declared table (SettingsTable) appears in the example, commented out or not, and in
        // Docs/operations.md's table of configuration keys.
        let operations = try String(
            contentsOf: Paths.root.appendingPathComponent("Docs/operations.md"),
            encoding: .utf8
        )
        let keysTable =
            operations.components(separatedBy: "## Configuration keys").last?
            .components(separatedBy: "\n## ").first ?? ""
        #expect(SettingsTable.all.count >= 40)
        for setting in SettingsTable.all {
            #expect(example.contains("\(setting.key) ="), "\(setting.name) is not in the example")
            let row = keysTable.split(separator: "\n").first {
                $0.hasPrefix("| `[\(setting.section)]") && $0.contains(setting.key)
            }
            #expect(row != nil, "\(setting.name) is not in Docs/operations.md's key table")
        }
        #expect(Set(SettingsTable.all.map(\.section)).count == SettingsTable.schema.count)
    }

    @Test("status answers at once while an import holds its transaction, showing the previous state")
    func statusDuringImport() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let folder = cli.temp.folder("big")
        try writeSyntheticDelivery(
            pupils: 8000,
            schools: 6,
            seed: 4,
            date: ExtractDate(year: 2025, month: 9, day: 2)!,
            partSize: 2000,
            to: folder
        )
        let importing = try ChildProcess(
            Paths.aafdBinary,
            ["import", "--config", cli.config, "--from-dir", folder, "--accept-departures"]
        )
        usleep(400_000)
        let started = Date()
        let status = try cli.run(["status", "--config", cli.config, "--json"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(Date().timeIntervalSince(started) < 2)
        #expect(status.stderr.isEmpty)
        #expect(importing.wait() == 0)
    }

    @Test("a second run while the lock is held exits 75 at once")
    func lockHeld() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let fd = open(cli.temp.file("state/aafd.lock"), O_RDWR)
        #expect(fd >= 0)
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        defer { close(fd) }
        let start = Date()
        let result = try cli.importDay("20250902")
        #expect(result.status == 75)
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(result.stderr.contains("another aafd run"))
    }

    @Test("the state directory is 0700 and every file aafd writes is 0600 (R18)")
    func modes() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let state = cli.temp.file("state")
        let attributes = try FileManager.default.attributesOfItem(atPath: state)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
        for name in try FileManager.default.contentsOfDirectory(atPath: state) {
            let attributes = try FileManager.default.attributesOfItem(atPath: state + "/" + name)
            let isDirectory = attributes[.type] as? FileAttributeType == .typeDirectory
            #expect(attributes[.posixPermissions] as? Int == (isDirectory ? 0o700 : 0o600), "\(name)")
        }
    }
}
