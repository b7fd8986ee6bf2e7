import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

/// What the Debian package relies on in the binary (issue 13). The package itself (dpkg -i, the aafd user, purge)
/// is tested for real by scripts/test-package.sh, which scripts/test.sh runs as root.
@Suite("Debian package: what the maintainer scripts rely on")
struct PackagingTests {
    @Test("the shipped conffile (every line commented out): check-config exits 78 and names what to set")
    func inactiveConffile() throws {
        let cli = CLI()
        let example = try String(
            contentsOf: Paths.root.appendingPathComponent("Config/aafd.example.toml"),
            encoding: .utf8
        )
        // As scripts/package.sh makes it: every line that is not a comment or blank is commented out.
        let commented = example.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.isEmpty || line.hasPrefix("#") || line.first!.isWhitespace ? String(line) : "# " + line
        }.joined(separator: "\n")
        let conffile = cli.temp.write("shipped.toml", commented)
        let result = try cli.run(["check-config", "--config", conffile])
        #expect(result.status == 78)
        #expect(result.stderr.contains("configures nothing yet"))
        for key in ["[directory] database", "host, user, private_key, known_hosts and remote_dir", "[convention]"] {
            #expect(result.stderr.contains(key), "\(key)")
        }
    }

    @Test("the Debian changelog's last entry names the version aafd --version prints (its one place)")
    func changelogVersion() throws {
        let changelog = try String(
            contentsOf: Paths.root.appendingPathComponent("packaging/debian/changelog"),
            encoding: .utf8
        )
        let first = try #require(changelog.split(separator: "\n").first)
        let version = try runProgram(Paths.aafdBinary, ["--version"]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines
        )
        #expect(first.hasPrefix("aafd (\(version)) "))
    }

    @Test("decommission --inventory: a certificate draft with counts only (R15) and the erase list; changes nothing")
    func inventory() throws {
        let cli = CLI(extra: "[convention]\ncommune = \"Mairie de Testville\"\n")
        #expect(try cli.importDay("20250901").status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: cli.database))
        let folder = cli.temp.file("inventory")
        let result = try cli.run(["decommission", "--config", cli.config, "--inventory", folder])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.database)) == before)

        var info = stat()
        #expect(stat(folder, &info) == 0 && info.st_mode & 0o777 == 0o700)
        let certificate = try String(contentsOfFile: folder + "/aafd.certificate", encoding: .utf8)
        #expect(stat(folder + "/aafd.certificate", &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(certificate.contains("Parties : Mairie de Testville"))
        #expect(certificate.contains("élèves : "))
        #expect(certificate.contains("lignes par table : "))
        #expect(certificate.contains("chaîne vérifiée"))
        // R15: no value from the delivery, not even one name or jointure.
        for pupil in Scenario.base.pupils {
            #expect(!certificate.contains(pupil.surname) && !certificate.contains(pupil.jointure))
        }
        let erase = try String(contentsOfFile: folder + "/aafd.erase", encoding: .utf8)
        let lines = Set(erase.split(separator: "\n").map(String.init))
        for expected in [
            "file \(cli.database)", "file \(cli.database)-wal", "file \(cli.database)-shm",
            "file \(cli.temp.file("state/aafd.lock"))", "tree \(cli.temp.file("state/spool"))",
            "dir \(cli.temp.file("state"))",
        ] {
            #expect(lines.contains(expected), "\(expected) in \(erase)")
        }
    }

    @Test("decommission --inventory before any import: says there is no directory, lists the paths anyway")
    func inventoryWithoutDatabase() throws {
        let cli = CLI()
        let folder = cli.temp.file("inventory")
        let result = try cli.run(["decommission", "--config", cli.config, "--inventory", folder])
        #expect(result.status == 0, "\(result.stderr)")
        let certificate = try String(contentsOfFile: folder + "/aafd.certificate", encoding: .utf8)
        #expect(certificate.contains("aucun (aucun import n'a eu lieu)"))
        #expect(!FileManager.default.fileExists(atPath: cli.database))
        let erase = try String(contentsOfFile: folder + "/aafd.erase", encoding: .utf8)
        #expect(erase.contains("file \(cli.database)\n"))
    }
}
