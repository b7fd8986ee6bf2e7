import AAFFixtures
import AAFModel
import AAFPolicy
import AAFTestSupport
import Foundation
import Testing

@testable import AAFCommands

#if canImport(Glibc)
import Glibc
#endif

/// Issue 26: the dossier of a rights request (art. 7), in French, for the académie and, as it is, for the person.
@Suite("The dossier of a rights request (art. 7)")
struct DossierTests {
    static let parties = """
        [convention]
        commune = "Mairie de Testville"
        dpo_contact = "DPO de la Mairie de Testville, dpo@testville.example"
        publisher = "Éditeur ENT Exemple"

        """
    static let staffName = "Mme Agent Dupont"
    static let annex = "ANNEXE POUR L'ACADÉMIE"

    /// Opens a request of `kind` for `jointure` and writes its dossier; returns the dossier's text.
    func dossier(_ cli: CLI, kind: String, jointure: String, id: Int) throws -> String {
        let opened = try cli.run([
            "request", "open", "--kind", kind, jointure, "--received", cli.today.iso, "--by", Self.staffName,
            "--config", cli.config,
        ])
        #expect(opened.status == 0, "\(opened.stderr)")
        let made = try cli.run(["request", "dossier", String(id), "--by", Self.staffName, "--config", cli.config])
        #expect(made.status == 0, "\(made.stderr)")
        let path = cli.temp.path + "/state/answers/request-\(id)-dossier.txt"
        let found = made.stdout.split(separator: " ").first { $0.hasSuffix("-dossier.txt") }.map(String.init) ?? path
        var info = stat()
        #expect(stat(found, &info) == 0 && info.st_mode & 0o777 == 0o600, "\(found)")
        return try String(contentsOfFile: found, encoding: .utf8)
    }

    @Test("the labels table names every attribute Annexe 3 lets aafd store")
    func labels() {
        let names = AllowList.annex3.values.reduce(into: Set<String>()) { $0.formUnion($1) }
            .union(AttributeCatalog.homeAddress)
        for name in names.sorted() {
            #expect(FrenchLabels.attributes[name] != nil, "\(name) has no label")
        }
        #expect(FrenchLabels.value("ENTEleveTransport", "O") == "oui")
        #expect(FrenchLabels.value("ENTEleveGarderieSoir", "N") == "non")
        #expect(FrenchLabels.value("ENTPersonDateNaissance", "01/03/2018") == "1er mars 2018")
        for kind in RightsRequestKind.allCases { #expect(FrenchLabels.requestKinds[kind.rawValue] != nil) }
    }

    @Test(
        "access: a pupil, a guardian and a staff member: every stored value, no AAF name outside the annex, no staff name, the person's own dates"
    )
    func access() throws {
        let cli = CLI(extra: Self.parties)
        #expect(try cli.importDay("20250901").status == 0)
        let people = [
            Scenario.base.pupils[0].jointure, Scenario.base.guardians[0].jointure, Scenario.base.staff[0].jointure,
        ]
        for (index, jointure) in people.enumerated() {
            let text = try dossier(cli, kind: "access", jointure: jointure, id: index + 1)
            let parts = text.components(separatedBy: Self.annex)
            #expect(parts.count == 2, "one annex")
            let body = parts[0]
            for word in ["jointure", "seq", "ENTPerson", "ENTEleve", "ENTPersRel", "$", Self.staffName, "Dupont"] {
                #expect(!body.contains(word), "\(jointure): the body says \(word)")
            }
            #expect(body.contains("Les données détenues sur cette personne"))
            #expect(body.contains("Mairie de Testville") && body.contains("dpo@testville.example"))
            #expect(body.contains("Éditeur ENT Exemple"))
            // The person's own date: two years after the académie last sent the record (1 September 2025).
            #expect(body.contains("au plus tard le 1er septembre 2027"), "\(body)")
            #expect(!text.contains(Self.staffName), "no staff name anywhere")
            // Every stored value, as person show --json has it.
            let shown = try cli.json(["person", "show", jointure, "--json", "--config", cli.config])
            let attributes = try #require(shown["attributes"] as? [String: Any])
            for (name, value) in attributes {
                let values = (value as? [String]) ?? [(value as? String) ?? ""]
                for v in values where !v.isEmpty {
                    #expect(text.contains(v), "\(jointure): \(name) value missing")
                }
            }
        }
        // The pupil's activities and guardians in words.
        let pupil = try String(
            contentsOfFile: cli.temp.path + "/state/answers/request-1-dossier.txt",
            encoding: .utf8
        )
        #expect(pupil.contains("Restauration scolaire : oui") || pupil.contains("Restauration scolaire : non"))
        #expect(pupil.contains("Responsables légaux (autorité parentale)"))
        // The reads before the dossier are listed by role, never by name.
        #expect(pupil.contains("par la commune"))

        // The same dossier as an A4 PDF: its text is the text version's, word for word.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/gropdf") {
            let made = try cli.run(["request", "dossier", "1", "--format", "pdf", "--config", cli.config])
            #expect(made.status == 0, "\(made.stderr)")
            let pdf = cli.temp.path + "/state/answers/request-1-dossier.pdf"
            let extracted = try DocumentsTests.extracted(pdf, header: "Mairie de Testville", title: "Demande n° 1")
            let words = pupil.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
            // The PDF is made after the text: its reads list one more (the text's own read).
            #expect(extracted.hasPrefix(String(words.prefix(2000))), "\(extracted.prefix(600))")
            #expect(extracted.contains("ANNEXE POUR L'ACADÉMIE"))
        }

        // person show names the dossier and the PDF among what is held about the person.
        let shown = try cli.json(["person", "show", people[0], "--json", "--config", cli.config])
        let files = try #require(shown["answer_files"] as? [String])
        #expect(files.contains { $0.hasSuffix("/answers/request-1-dossier.txt") }, "\(files)")
        #expect(!files.contains { $0.contains("request-2") }, "another person's request is not listed")

        // Written once: a second dossier for the same request is refused.
        let again = try cli.run(["request", "dossier", "1", "--by", "DPO", "--config", cli.config])
        #expect(again.status == 73)
    }

    @Test("the other kinds: what the commune did; restriction applied and from when")
    func otherKinds() throws {
        let cli = CLI(extra: Self.parties)
        #expect(try cli.importDay("20250901").status == 0)
        let jointure = Scenario.base.pupils[1].jointure
        let expected: [(String, String)] = [
            ("rectification", "la rectification se fait dans les applications de l'académie"),
            ("erasure", "l'effacement se fait à la source"),
            ("restriction", "retirée de tout ce que l'ENT lit"),
            ("opposition", "retirée de tout ce que l'ENT lit"),
            ("post-mortem", "directives relatives aux données après le décès"),
        ]
        for (index, (kind, words)) in expected.enumerated() {
            let text = try dossier(cli, kind: kind, jointure: jointure, id: index + 1)
            #expect(text.contains(words), "\(kind)")
            #expect(text.contains("Ce que la commune a fait"), "\(kind)")
        }
    }

    @Test(
        "the dossier's lifecycle: erased by the purge with its person, counted under R14",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/faketime"), "needs faketime")
    )
    func lifecycle() throws {
        let cli = CLI(extra: Self.parties)
        #expect(try cli.importDay("20250901").status == 0)
        _ = try dossier(cli, kind: "access", jointure: Scenario.base.pupils[0].jointure, id: 1)
        let path = cli.temp.path + "/state/answers/request-1-dossier.txt"
        #expect(FileManager.default.fileExists(atPath: path))
        // Two years after the last delivery, R9 takes everyone, and the dossier goes with its person.
        let purge = try runProgram(
            "/usr/bin/faketime",
            ["2027-09-03 12:00:00", Paths.aafdBinary, "purge", "--config", cli.config],
            environment: ["PATH": "/usr/bin:/bin"]
        )
        #expect(purge.status == 0, "\(purge.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path))
        let certificate = try runProgram(
            "/usr/bin/faketime",
            ["2027-09-03 12:00:00", Paths.aafdBinary, "certificate", "--config", cli.config],
            environment: ["PATH": "/usr/bin:/bin"]
        )
        #expect(certificate.stdout.contains("réponses à des demandes d'accès : 1"), "\(certificate.stdout)")
    }

    @Test(
        "a pupil's access dossier for fixed dates, compared with the committed example (Docs/data-protection.md)",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/faketime"), "needs faketime")
    )
    func example() throws {
        let cli = CLI(extra: Self.parties)
        func at(_ instant: String, _ arguments: [String]) throws -> ProcessResult {
            try runProgram(
                "/usr/bin/faketime",
                ["-f", instant, Paths.aafdBinary] + arguments + ["--config", cli.config],
                environment: ["PATH": "/usr/bin:/bin", "TZ": "Europe/Paris"]
            )
        }
        let day = Paths.fixtures.appendingPathComponent("ent1d/20250901").path
        #expect(try at("2025-09-01 07:00:00", ["import", "--from-dir", day]).status == 0)
        let jointure = Scenario.base.pupils[0].jointure
        #expect(
            try at(
                "2026-03-02 09:00:00",
                ["request", "open", "--kind", "access", jointure, "--received", "2026-03-02", "--by", Self.staffName]
            ).status == 0
        )
        #expect(
            try at("2026-03-02 09:05:00", ["person", "show", jointure, "--by", Self.staffName, "--for-request", "1"])
                .status == 0
        )
        let made = try at("2026-03-02 09:10:00", ["request", "dossier", "1", "--by", Self.staffName])
        #expect(made.status == 0, "\(made.stderr)")
        let text = try String(contentsOfFile: cli.temp.path + "/state/answers/request-1-dossier.txt", encoding: .utf8)
        let expected = try String(
            contentsOf: Paths.root.appendingPathComponent("Fixtures/documents/request-dossier-access.txt"),
            encoding: .utf8
        )
        #expect(text == expected, "\(text)")
    }
}
