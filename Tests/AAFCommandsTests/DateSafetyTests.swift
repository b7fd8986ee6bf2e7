import AAFFixtures
import AAFModel
import AAFTestSupport
import Foundation
import Testing

@Suite("Wrong dates in deliveries and commands (R9, R20)")
struct DateSafetyTests {
    @Test("a delivery dated 9999-12-31 is refused (65, R20), no crash, and the next real delivery imports")
    func year9999() throws {
        let cli = CLI()
        let folder = cli.temp.folder("far")
        try writeSyntheticDelivery(
            pupils: 20,
            schools: 1,
            seed: 1,
            date: ExtractDate(year: 9999, month: 12, day: 31)!,
            partSize: 1000,
            to: folder
        )
        let refused = try cli.run(["import", "--config", cli.config, "--from-dir", folder])
        #expect(refused.status == 65, "\(refused.stderr)")
        #expect(refused.stderr.contains("after today"))
        #expect(refused.stderr.contains("R20"))
        let real = try cli.importDay("20250901")
        #expect(real.status == 0, "\(real.stderr)")
        #expect(try cli.run(["status", "--config", cli.config]).status == 0)
    }

    @Test("a future-dated empty Delta cannot lock out real deliveries (R20) nor postpone R9")
    func futureDelta() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let folder = cli.temp.folder("future")
        let header =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ficAlimMENESR xmlns=\"http://www.education.gouv.fr/alimMENESR\" degre=\"1D\">\n</ficAlimMENESR>\n"
        _ = cli.temp.write("future/ENT1D_Delta_20991231_Eleve_0000.xml", header)
        let refused = try cli.run(["import", "--config", cli.config, "--from-dir", folder])
        #expect(refused.status == 65, "\(refused.stderr)")
        #expect(refused.stderr.contains("after today"), "\(refused.stderr)")
        #expect(try cli.importDay("20250902").status == 0)
    }

    @Test("purge --as-of a future date deletes nothing without --dry-run (78); --as-of 1900-01-01 does not crash")
    func purgeAsOf() throws {
        let cli = CLI()
        #expect(try cli.importDay("20250901").status == 0)
        let future = try cli.run(["purge", "--as-of", "2099-01-01", "--config", cli.config])
        #expect(future.status == 78, "\(future.stderr)")
        #expect(future.stderr.contains("--dry-run"))
        let status = try cli.json(["status", "--config", cli.config, "--json"])
        #expect((status["directory"] as? [String: Any])?["students"] as? Int == 60)
        let preview = try cli.run(["purge", "--as-of", "2099-01-01", "--dry-run", "--config", cli.config])
        #expect(preview.status == 0, "\(preview.stderr)")
        let past = try cli.run(["purge", "--as-of", "1900-01-01", "--config", cli.config])
        #expect(past.status == 0, "\(past.stderr)")
    }
}

@Suite("Several processes on a new database")
struct FirstStartRaceTests {
    @Test("the first import while status polls: 20 fresh databases, every import succeeds, no migration runs twice")
    func firstStartWithStatus() throws {
        var failures: [String] = []
        // The schema version a database created alone reaches.
        let reference = CLI()
        #expect(try reference.importDay("20250901").status == 0)
        let expected = try SQLiteShell.run(reference.database, "PRAGMA user_version;")
        for run in 1...20 {
            let cli = CLI()
            let folder = Paths.fixtures.appendingPathComponent("ent1d/20250901").path
            let importing = try ChildProcess(
                Paths.aafdBinary,
                ["import", "--config", cli.config, "--from-dir", folder]
            )
            let pollers = try (0..<3).map { _ in try ChildProcess(Paths.aafdBinary, ["status", "--config", cli.config])
            }
            let status = importing.wait()
            let polled = pollers.map { $0.wait() }
            if status != 0 { failures.append("run \(run): import exit \(status)") }
            if polled.contains(where: { $0 != 0 }) { failures.append("run \(run): status exits \(polled)") }
            let version = try SQLiteShell.run(cli.database, "PRAGMA user_version;")
            if version != expected { failures.append("run \(run): user_version \(version), alone \(expected)") }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}

@Suite("Nothing from the file in outputs (R15)")
struct OutputVocabularyTests {
    func outputs(_ cli: CLI, _ results: [ProcessResult]) throws -> String {
        let history = try cli.run(["history", "--config", cli.config, "--json"])
        let status = try cli.run(["status", "--config", cli.config, "--json"])
        let journal = try runProgram(
            "/usr/bin/sqlite3",
            [cli.database, "SELECT reason, counts, dropped FROM import_runs; SELECT reason FROM incidents;"]
        )
        return (results + [history, status, journal]).map { $0.stdout + $0.stderr }.joined(separator: "\n")
    }

    @Test(
        "invented attribute names (2,400 distinct), a foreign category and a degre value never reach stdout, stderr, journal or status"
    )
    func namesNotCopied() throws {
        let cli = CLI()
        let names = try cli.copyOfDay("20250901")
        let pupils = names + "/ENT1D_Complet_20250901_Eleve_0000.xml"
        // 40 invented names in each of the 60 pupils' records: 2,400 distinct names.
        let parts = try String(contentsOfFile: pupils, encoding: .utf8).components(separatedBy: "<attributes>\n")
        var text = parts[0]
        for (k, part) in parts.dropFirst().enumerated() {
            text +=
                "<attributes>\n"
                + (0..<40).map { "<attr name=\"zzSecretName\(k * 40 + $0)\"><value>v</value></attr>" }.joined() + "\n"
                + part
        }
        try text.write(toFile: pupils, atomically: false, encoding: .utf8)
        let imported = try cli.run(["import", "--config", cli.config, "--from-dir", names, "--json"])
        #expect(imported.status == 0, "\(imported.stderr)")

        let category = try cli.copyOfDay("20250902")
        let staffFile = category + "/ENT1D_Complet_20250902_PersEducNat_0000.xml"
        try (try String(contentsOfFile: staffFile, encoding: .utf8)).replacingOccurrences(
            of: "<value>PersEducNat</value>",
            with: "<value>SecretCategoryValue</value>"
        )
        .write(toFile: staffFile, atomically: false, encoding: .utf8)
        let refusedCategory = try cli.run(["import", "--config", cli.config, "--from-dir", category])
        #expect(refusedCategory.status == 65)

        let degre = try cli.copyOfDay("20250902")
        let schools = degre + "/ENT1D_Complet_20250902_EtabEducNat_0000.xml"
        try (try String(contentsOfFile: schools, encoding: .utf8)).replacingOccurrences(
            of: "degre=\"1D\"",
            with: "degre=\"SecretDegreValue\""
        )
        .write(toFile: schools, atomically: false, encoding: .utf8)
        let refusedDegre = try cli.run(["import", "--config", cli.config, "--from-dir", degre])
        #expect(refusedDegre.status == 65)

        let all = try outputs(cli, [imported, refusedCategory, refusedDegre])
        for secret in ["zzSecretName", "SecretCategoryValue", "SecretDegreValue"] {
            #expect(!all.contains(secret), "\(secret) reached an output")
        }
        #expect(imported.stdout.contains(AAFVocabulary.unknownName))
        #expect(imported.stdout.utf8.count < 20_000, "the report grows with the number of invented names")
    }
}

@Suite("Repeated single-valued attributes (R14, aaf-format)")
struct RepeatedAttributeTests {
    @Test(
        "two ENTPersonNom, two ENTPersonStructRattach, two birth-date values: the first wins in storage, links and person show; counted"
    )
    func firstWins() throws {
        let cli = CLI()
        let folder = try cli.copyOfDay("20250901")
        let pupil = Scenario.base.pupils[0]
        let otherSchool = try #require(Scenario.base.schools.first { $0.jointure != pupil.school })
        let file = folder + "/ENT1D_Complet_20250901_Eleve_0000.xml"
        var text = try String(contentsOfFile: file, encoding: .utf8)
        let marker = "<attr name=\"ENTPersonJointure\"><value>\(pupil.jointure)</value></attr>\n"
        #expect(text.contains(marker))
        text = text.replacingOccurrences(
            of: marker,
            with: marker + "<attr name=\"ENTPersonNom\"><value>ZZSECONDNAME</value></attr>\n"
                + "<attr name=\"ENTPersonStructRattach\"><value>\(otherSchool.jointure)</value></attr>\n"
        )
        text = text.replacingOccurrences(
            of: "<attr name=\"ENTPersonDateNaissance\"><value>\(pupil.birthDate)</value></attr>",
            with:
                "<attr name=\"ENTPersonDateNaissance\"><value>\(pupil.birthDate)</value><value>01/01/2001</value></attr>"
        )
        #expect(text.contains("<value>01/01/2001</value>"))
        try text.write(toFile: file, atomically: false, encoding: .utf8)
        let result = try cli.run(["import", "--config", cli.config, "--from-dir", folder])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("repeated attributes, first kept:"), "\(result.stdout)")
        #expect(!result.stdout.contains("ZZSECONDNAME"))
        // The pupil's own attributes come after ENTPersonJointure in the fixture, so the inserted ones are first:
        // the first occurrence is what is stored; the file's own later ones are the repeats.
        let shown = try cli.json(["person", "show", pupil.jointure, "--config", cli.config, "--json"])
        let attributes = try #require(shown["attributes"] as? [String: Any])
        #expect(attributes["ENTPersonNom"] as? String == "ZZSECONDNAME")
        let rattach = attributes["ENTPersonStructRattach"] as? [String]
        #expect(rattach == [otherSchool.jointure])
        let links = try #require(shown["links"] as? [String: Any])
        let structures = (links["structures"] as? [[String: Any]])?.compactMap { $0["jointure"] as? String }
        #expect(structures == [otherSchool.jointure], "the stored link disagrees with the shown attribute")
        #expect((attributes["ENTPersonDateNaissance"] as? String) == pupil.birthDate)
    }
}

@Suite("Files that are not files")
struct SpecialFileTests {
    @Test("a FIFO named like a delivery file in --from-dir is refused at once, not waited on forever")
    func fifo() throws {
        let cli = CLI()
        let folder = try cli.copyOfDay("20250901", except: "_Eleve_0000")
        #expect(mkfifo(folder + "/ENT1D_Complet_20250901_Eleve_0000.xml", 0o600) == 0)
        let started = Date()
        let child = try ChildProcess(Paths.aafdBinary, ["import", "--config", cli.config, "--from-dir", folder])
        let deadline = Date().addingTimeInterval(20)
        while child.isRunning, Date() < deadline { usleep(50_000) }
        let hung = child.isRunning
        if hung { child.signal(SIGKILL) }
        let status = child.wait()
        #expect(!hung, "the import hung on the FIFO")
        #expect(status == 65)
        #expect(Date().timeIntervalSince(started) < 20)
    }
}
