import AAFTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 26: the documents the convention asks for, in French. The incident notification (art. 12) for fixed
/// dates is compared with a committed expected file, read by eye once (Fixtures/documents).
@Suite("Documents in French: the incident notification (art. 12)")
struct DocumentsTests {
    static let parties = """
        [convention]
        commune = "Mairie de Testville"
        academie_alert_address = "alerte-ssi@ac-exemple.fr"
        ien_address = "ce.ien-testville@ac-exemple.fr"
        dpo_contact = "DPO de la Mairie de Testville, dpo@testville.example"

        """

    @Test("the notification for fixed dates: every field of art. 12, recipients from the configuration, in French")
    func notification() throws {
        let cli = CLI(extra: Self.parties)
        let declared = try cli.run([
            "incident", "declare", "--kind", "breach", "--at", "2026-03-10T08:00:00Z", "--by", "DPO", "--nature",
            "Un ordinateur portable de la mairie contenant une copie de l'annuaire a été volé.", "--config",
            cli.config,
        ])
        #expect(declared.status == 0, "\(declared.stderr)")
        let updated = try cli.run([
            "incident", "update", "1", "--consequences", "Divulgation possible des noms et classes des élèves.",
            "--measures", "Clé SFTP révoquée, mot de passe du poste changé, plainte déposée.", "--contact",
            "Service informatique de la mairie, 01 02 03 04 05", "--risk", "likely",
            "--academy-alerted", "2026-03-10T09:30:00Z", "--by", "DPO", "--config", cli.config,
        ])
        #expect(updated.status == 0, "\(updated.stderr)")
        let shown = try cli.run(["incident", "show", "1", "--config", cli.config])
        #expect(shown.status == 0, "\(shown.stderr)")
        let expected = try String(
            contentsOf: Paths.root.appendingPathComponent("Fixtures/documents/incident-notification.txt"),
            encoding: .utf8
        )
        #expect(shown.stdout == expected, "\(shown.stdout)")
        // No hard-coded recipient: the configured one, and Créteil's only where it is configured.
        #expect(shown.stdout.contains("alerte-ssi@ac-exemple.fr") && !shown.stdout.contains("ac-creteil"))

        // --output: the same text, 0600, never over an existing file.
        let file = cli.temp.file("notification.txt")
        #expect(try cli.run(["incident", "show", "1", "--output", file, "--config", cli.config]).status == 0)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == expected)
        var info = stat()
        #expect(stat(file, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let again = try cli.run(["incident", "show", "1", "--output", file, "--config", cli.config])
        #expect(again.status == 73, "\(again.stderr)")
    }

    @Test("the people possibly concerned, in French, from the directory as it was when the incident was known")
    func estimate() throws {
        let cli = CLI(extra: Self.parties)
        #expect(try cli.importDay("20250901").status == 0)
        Thread.sleep(forTimeInterval: 1.1)
        let now = ISO8601DateFormatter().string(from: Date())
        #expect(
            try cli.run([
                "incident", "declare", "--kind", "suspected-breach", "--at", now, "--by", "DPO", "--config", cli.config,
            ]).status == 0
        )
        let text = try cli.run(["incident", "show", "1", "--config", cli.config]).stdout
        #expect(text.contains("violation de données à caractère personnel suspectée"))
        #expect(text.contains(" élèves") && text.contains(" responsables légaux") && text.contains("École "))
        for english in ["students", "guardians", "staff", "known at", "to be completed", "DUE"] {
            #expect(!text.contains(english), "\(english)")
        }
    }
}
