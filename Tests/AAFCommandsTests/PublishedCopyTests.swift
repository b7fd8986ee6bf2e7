import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The ENT's read-only copy (issue 12, ADR 0012), read by another Unix user (nobody, in group nogroup).
@Suite(
    "The ENT's read-only copy, read by another user",
    .enabled(if: geteuid() == 0, "needs root to run a reader as nobody")
)
struct PublishedCopyTests {
    static let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups"]

    /// A folder nobody may enter, and a configuration publishing the copy there for group nogroup.
    private func setUp() throws -> (CLI, String, String) {
        let folder = "/tmp/aafd-ent-\(UUID().uuidString)"
        #expect(mkdir(folder, 0o755) == 0)
        chmod(folder, 0o755)
        let copy = folder + "/directory.sqlite3"
        let cli = CLI(extra: "[ent]\npublished_copy = \"\(copy)\"\nreader_group = \"nogroup\"\n")
        return (cli, folder, copy)
    }

    private func asNobody(_ program: String, _ arguments: [String]) throws -> ProcessResult {
        try runProgram("/usr/bin/setpriv", PublishedCopyTests.nobody + [program] + arguments)
    }

    @Test("nobody reads the views from the copy (0640, group nogroup), never the live database, consents or journals")
    func readerGroup() throws {
        let (cli, folder, copy) = try setUp()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try cli.importDay("20250901").status == 0)
        var info = stat()
        #expect(stat(copy, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o640 && info.st_gid == 65534 && info.st_uid == 0)
        let pupils = try asNobody(
            "/usr/bin/sqlite3",
            ["-readonly", copy, "SELECT count(*) FROM ent_people WHERE category = 'pupil'"]
        )
        #expect(pupils.status == 0, "\(pupils.stderr)")
        #expect(pupils.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(Scenario.base.pupils.count)")
        for table in ["consents", "admin_journal", "import_runs", "purge_records", "incidents"] {
            let hidden = try asNobody("/usr/bin/sqlite3", ["-readonly", copy, "SELECT count(*) FROM \(table)"])
            #expect(hidden.status != 0 && hidden.stderr.contains("no such table"), "\(table)")
        }
        let live = try asNobody("/usr/bin/sqlite3", ["-readonly", cli.database, "SELECT count(*) FROM persons"])
        #expect(live.status != 0)
        // Nothing changed: nothing rewritten.
        let inode = info.st_ino
        #expect(try cli.importDay("20250901").status == 0)
        #expect(stat(copy, &info) == 0 && info.st_ino == inode)
    }

    @Test(
        "a reader that keeps the old copy open does not keep a renamed pupil's old name on disk (R12), nor delay aafd"
    )
    func replacedCopyIsErased() throws {
        let (cli, folder, copy) = try setUp()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try cli.importDay("20250901").status == 0)
        #expect(fileContains(copy, Scenario.oldSurname))
        let log = folder + "/reader.log"
        let fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(fd) }
        let reader = try ChildProcess(
            "/usr/bin/setpriv",
            PublishedCopyTests.nobody + [
                "/usr/bin/python3", Paths.fixtures.appendingPathComponent("readers/hold_read.py").path, copy, "60",
            ],
            stdout: fd,
            stderr: fd
        )
        defer {
            reader.signal(SIGKILL)
            reader.wait()
        }
        let deadline = Date().addingTimeInterval(20)
        while !((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("ready") && Date() < deadline {
            usleep(50_000)
        }
        #expect(((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("ready"))
        let started = Date()
        let second = try cli.importDay("20250902")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(Date().timeIntervalSince(started) < 20, "the reader of the copy does not make aafd wait")
        // The reader still holds the replaced file: empty, its bytes overwritten before the truncation.
        let held = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(reader.pid)/fd").compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(reader.pid)/fd/\($0)")
        }
        #expect(held.contains { $0.hasPrefix(copy) && $0.hasSuffix("(deleted)") })
        for name in try FileManager.default.contentsOfDirectory(atPath: "/proc/\(reader.pid)/fd") {
            let target =
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(reader.pid)/fd/\(name)")) ?? ""
            guard target.hasPrefix(copy), target.hasSuffix("(deleted)") else { continue }
            #expect(!fileContains("/proc/\(reader.pid)/fd/\(name)", Scenario.oldSurname))
        }
        #expect(!fileContains(copy, Scenario.oldSurname))
        #expect(fileContains(copy, Scenario.newSurname))
    }

    @Test(
        "R18: a copy folder others can write gets no copy (the run says why); an unknown reader group is refused (78)"
    )
    func refusals() throws {
        let (base, folder, copy) = try setUp()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let alerts = base.temp.file("alerts.txt")
        let cli = CLI(
            extra: "[ent]\npublished_copy = \"\(copy)\"\nreader_group = \"nogroup\"\n"
                + "[alert]\ncommand = \"echo $AAFD_OUTCOME >> \(alerts)\"\n"
        )
        chmod(folder, 0o777)
        let result = try cli.importDay("20250901")
        #expect(result.status == 0, "the import itself stands")
        #expect(!FileManager.default.fileExists(atPath: copy))
        #expect(result.stderr.contains("cannot publish the ENT's copy") && result.stderr.contains("R18"))
        // Issue 21: a copy not published is an incident, never "imported, incident: none"; alerted once.
        let status = try cli.run(["status", "--config", cli.config])
        #expect(
            status.stdout.contains("OPEN INCIDENT") && status.stdout.contains("publication-failed"),
            "\(status.stdout)"
        )
        let json = try cli.json(["status", "--json", "--config", cli.config])
        #expect((json["incident"] as? [String: Any])?["outcome"] as? String == "publication-failed")
        #expect(try cli.importDay("20250902").status == 0)
        #expect(try String(contentsOfFile: alerts, encoding: .utf8) == "publication-failed\n", "alerted once")
        // The folder mended: the next run publishes and closes the incident.
        chmod(folder, 0o755)
        #expect(try cli.run(["purge", "--config", cli.config]).status == 0)
        #expect(FileManager.default.fileExists(atPath: copy))
        let after = try cli.run(["status", "--config", cli.config])
        #expect(after.stdout.contains("incident: none"), "\(after.stdout)")
        let other = CLI(extra: "[ent]\npublished_copy = \"\(copy)\"\nreader_group = \"no-such-group-aafd\"\n")
        let refused = try other.run(["status", "--config", other.config])
        #expect(refused.status == 78)
        #expect(refused.stderr.contains("reader_group no-such-group-aafd is not a group"))
    }
}
