import AAFTestSupport
import Foundation
import Testing

@testable import AAFCommands

#if canImport(Glibc)
import Glibc
#endif

/// Issue 26: the documents the convention asks for, in French. The incident notification (art. 12) for fixed
/// dates is compared with a committed expected file, read by eye once (Fixtures/documents).
@Suite("Documents in French: the incident notification (art. 12), the certificate of deletion (art. 6.3), as PDFs")
struct DocumentsTests {
    static let parties = """
        [convention]
        commune = "Mairie de Testville"
        academie_alert_address = "alerte-ssi@ac-exemple.fr"
        ien_address = "ce.ien-testville@ac-exemple.fr"
        dpo_contact = "DPO de la Mairie de Testville, dpo@testville.example"
        publisher = "Éditeur ENT Exemple"

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

    /// Runs aafd with the clock stopped at `instant` (Europe/Paris, libfaketime): the records' timestamps, hence
    /// the chain's hashes, are the same on every run.
    func at(_ instant: String, _ cli: CLI, _ arguments: [String]) throws -> ProcessResult {
        try runProgram(
            "/usr/bin/faketime",
            ["-f", instant, Paths.aafdBinary] + arguments + ["--config", cli.config],
            environment: ["PATH": "/usr/bin:/bin", "TZ": "Europe/Paris"]
        )
    }

    @Test(
        "the certificate of deletion for fixed dates, in French: parties, period, each deletion with its rule, the chain's head, what it does not cover",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/faketime"), "needs faketime")
    )
    func certificate() throws {
        let cli = CLI(extra: Self.parties)
        let days = Paths.fixtures.appendingPathComponent("ent1d").path
        // The first delivery, then the next day's without a staff member (R8 at once) and with departures (R6, R7 at
        // the end of the calendar year).
        #expect(try at("2025-09-01 07:00:00", cli, ["import", "--from-dir", days + "/20250901"]).status == 0)
        #expect(try at("2025-09-02 07:00:00", cli, ["import", "--from-dir", days + "/20250902"]).status == 0)
        #expect(try at("2026-01-02 07:00:00", cli, ["purge"]).status == 0)
        let shown = try at("2026-01-05 09:00:00", cli, ["certificate", "--from", "2025-01-01", "--to", "2026-12-31"])
        #expect(shown.status == 0, "\(shown.stderr)")
        let expected = try String(
            contentsOf: Paths.root.appendingPathComponent("Fixtures/documents/certificate-of-deletion.txt"),
            encoding: .utf8
        )
        #expect(shown.stdout == expected, "\(shown.stdout)")
        for english in ["Total", "executed", "Chain", "records", "students", "staff", "guardians"] {
            #expect(!shown.stdout.contains(english), "\(english)")
        }
    }

    /// The text of a PDF as pdftotext extracts it, without the page headers and numbers, whitespace collapsed.
    static func extracted(_ pdf: String, header: String, title: String) throws -> String {
        let text = try runProgram("/usr/bin/pdftotext", ["-enc", "UTF-8", pdf, "-"]).stdout
        let chrome = [header, title, header + " " + title]
        return text.split(separator: "\n").map { $0.replacingOccurrences(of: "\u{0C}", with: "") }
            .map { $0.split(separator: " ").joined(separator: " ") }
            .filter { line in !chrome.contains(line) && !(line.hasPrefix("Page ") && Int(line.dropFirst(5)) != nil) }
            .joined(separator: " ")
            .split(separator: " ").joined(separator: " ")
    }

    @Test(
        "the PDFs: valid A4 (pdfinfo), the commune in the header, the text extractable and equal in content to the text version",
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/gropdf")
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/pdftotext"),
            "needs groff and poppler-utils"
        )
    )
    func pdfs() throws {
        let cli = CLI(extra: Self.parties)
        #expect(try cli.importDay("20250901").status == 0)
        #expect(try cli.importDay("20250902").status == 0)
        #expect(
            try cli.run([
                "incident", "declare", "--kind", "breach", "--at", "2026-03-10T08:00:00Z", "--by", "DPO", "--nature",
                "Un portable volé ; l'annuaire « exporté » — voir \\fB et .so /etc/passwd", "--config", cli.config,
            ]).status == 0
        )
        let documents: [(arguments: [String], title: String)] = [
            (["incident", "show", "1"], "Notification d'incident n° 1"),
            (["certificate"], "Certificat de suppression"),
        ]
        for document in documents {
            let text = try cli.run(document.arguments + ["--config", cli.config])
            #expect(text.status == 0, "\(text.stderr)")
            let pdf = cli.temp.file("\(document.arguments[0]).pdf")
            let made = try cli.run(document.arguments + ["--format", "pdf", "--output", pdf, "--config", cli.config])
            #expect(made.status == 0, "\(made.stderr)")
            var info = stat()
            #expect(stat(pdf, &info) == 0 && info.st_mode & 0o777 == 0o600)
            let details = try runProgram("/usr/bin/pdfinfo", [pdf]).stdout
            #expect(details.contains("Page size:") && details.contains("595") && details.contains("842"), "\(details)")
            #expect(details.contains("Producer:        gropdf"))
            let words = text.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
            let extracted = try Self.extracted(pdf, header: "Mairie de Testville", title: document.title)
            #expect(extracted == words, "\(document.title):\n\(extracted)\n---\n\(words)")
            let raw = try runProgram("/usr/bin/pdftotext", [pdf, "-"]).stdout
            #expect(raw.contains("Mairie de Testville") && raw.contains("Page 1"))
            // Never over an existing file; never to a terminal-less guess.
            let again = try cli.run(document.arguments + ["--format", "pdf", "--output", pdf, "--config", cli.config])
            #expect(again.status == 73)
        }
    }

    @Test(
        "a long document: every page has the commune's header and its number; lines starting with a dot stay text",
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/gropdf")
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/pdftotext"),
            "needs groff and poppler-utils"
        )
    )
    func pages() throws {
        let lines = (1...180).map { ".ligne \($0) 'à' \\fI \\(em \u{202E}" }
        let pdf = try DocumentPDF.render(
            "TITRE\n" + lines.joined(separator: "\n") + "\n",
            title: "Titre",
            header: "Mairie d'Essai"
        )
        let scratch = TemporaryDirectory("pages")
        let path = scratch.file("long.pdf")
        #expect(FileManager.default.createFile(atPath: path, contents: Data(pdf)))
        let info = try runProgram("/usr/bin/pdfinfo", [path]).stdout
        let pages =
            info.split(separator: "\n").first { $0.hasPrefix("Pages:") }
            .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        #expect(pages >= 3, "\(info)")
        let text = try runProgram("/usr/bin/pdftotext", ["-enc", "UTF-8", path, "-"]).stdout
        for page in 1...pages {
            #expect(text.contains("Page \(page)"), "page \(page)")
        }
        #expect(text.components(separatedBy: "Mairie d'Essai").count - 1 == pages)
        #expect(text.contains(".ligne 180 'à' \\fI \\(em"), "\(text.suffix(300))")
    }

    @Test("Docs/data-protection.md shows each document exactly as the committed example the tests compare with")
    func examplesInTheGuide() throws {
        let guide = try String(
            contentsOf: Paths.root.appendingPathComponent("Docs/data-protection.md"),
            encoding: .utf8
        )
        let marker = "<!-- example: "
        let blocks = guide.components(separatedBy: marker).dropFirst()
        #expect(blocks.count == 3)
        for block in blocks {
            let name = String(block.prefix { $0 != " " })
            let body =
                block.components(separatedBy: "```text\n").dropFirst().first?
                .components(separatedBy: "```").first ?? ""
            let file = try String(contentsOf: Paths.root.appendingPathComponent(name), encoding: .utf8)
            #expect(body == file, "\(name) differs from the guide's copy")
        }
    }
}
