import AAFModel
import AAFPipeline
import AAFPolicy
import AAFStore
import ArgumentParser
import Foundation

extension RequestCommand {
    /// `aafd request dossier ID`: the dossier to send the académie with the request (art. 7), written where access
    /// answers go (`state_dir/answers/request-N-dossier.txt|pdf`, 0600), so that it is erased with its person or its
    /// request like them (issue 23); the read is journaled first.
    struct Dossier: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the dossier to send the académie with a request (art. 7), in French.",
            discussion: """
                The request, the controller and the commune's DPO ([convention] dpo_contact), for an access request \
                the data held in sections and plain words (the AAF names only in an annex for the académie), the \
                source, purposes, recipients, how long each part is kept with the person's own dates, consents, and \
                the reads of the record by role; for the other kinds, what the commune did. Written to \
                state_dir/answers/request-N-dossier.txt (or .pdf with --format pdf), 0600, erased with its person or \
                its request, or after 92 days, like access answers. Exit 0; 66 no such request; 69 groff missing; \
                73 the dossier exists already.
                """
        )
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The request's number.") var id: Int
        @OptionGroup var reader: ReaderOptions
        @Option(help: "text, or pdf (A4 by groff).") var format: DocumentOptions.Format = .text

        func run() throws {
            let configuration = try options.load()
            guard let store = try openStoreForReading(configuration, readOnly: false) else {
                throw CommandFailure(.noInput, noDatabaseYet(configuration))
            }
            guard let request = try store.requests.list(id: id).first else {
                throw CommandFailure(.noInput, "no request \(id) in the register")
            }
            let people = try store.persons(jointure: request.jointure)
            var names: [String: String] = [:]
            for link in people.flatMap({ $0.guardians + $0.pupils }) {
                guard let other = try store.persons(jointure: link.jointure).first else { continue }
                let name = ["ENTPersonPrenom", "ENTPersonNom"].flatMap { RequestDossier.attribute(other, $0) }
                if !name.isEmpty { names[link.jointure] = name.joined(separator: " ") }
            }
            let rows = try store.storedRows(jointure: request.jointure)
            let at = Timestamp.string(configuration.importSettings.now())
            do {
                try store.adminJournal.recordRead(
                    "read-person",
                    jointure: request.jointure,
                    by: AdminIdentity.current(by: reader.by),
                    at: at,
                    detail: "request \(id) dossier"
                )
            } catch {
                throw CommandFailure(.tempFail, "cannot journal this read (\(error)); nothing written, try again")
            }
            let text = RequestDossier.text(
                .init(
                    request: request,
                    people: people,
                    consents: try store.consents(jointure: request.jointure),
                    restricted: try store.requests.isRestricted(jointure: request.jointure),
                    journal: rows.tables["admin_journal"] ?? [],
                    names: names,
                    commune: configuration.commune,
                    academy: configuration.academy,
                    publisher: configuration.publisher,
                    dpoContact: configuration.dpoContact,
                    today: configuration.today
                )
            )
            let folder = URL(fileURLWithPath: configuration.answersDirectory).standardizedFileURL.path
            let path = (folder as NSString).appendingPathComponent(
                "request-\(id)-dossier.\(format == .pdf ? "pdf" : "txt")"
            )
            let bytes =
                format == .pdf
                ? try DocumentPDF.render(text, title: "Demande n° \(id)", header: configuration.commune)
                : Array(text.utf8)
            try AnswerFile.write(bytes, to: path, hint: "it is erased with its request; remove it to write it again")
            print("the dossier of request \(id) is in \(path) (0600); send it to the académie with the request")
        }
    }
}
