import AAFModel
import AAFStore
import ArgumentParser
import Foundation

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the import journal, newest first (dates, outcomes, counts; no personal data)."
    )

    @OptionGroup var options: GlobalOptions
    @Option(help: "How many entries.") var limit = 20
    @Flag(help: "Who read personal data through aafd (person show, exports, export-all): who, when, what, why.")
    var reads = false
    @OptionGroup var output: OutputOptions

    func run() throws {
        let configuration = try options.load()
        if reads {
            guard let store = try openStoreForReading(configuration) else {
                if output.json { try printJSON([AdminJournalEntry]()) } else { print(noDatabaseYet(configuration)) }
                return
            }
            let entries = try store.adminJournal.entries(actions: AdminJournal.readActions, limit: max(1, limit))
            if output.json {
                try printJSON(entries)
                return
            }
            if entries.isEmpty { print("no read of personal data journaled") }
            for e in entries {
                let x = OutsideText.escaped
                print("\(e.at)  \(e.action)  \(x(e.jointure ?? "-"))  \(x(e.recordedBy))  \(x(e.detail ?? ""))")
            }
            return
        }
        guard let store = try openStoreForReading(configuration) else {
            if output.json { try printJSON([JournalEntry]()) } else { print(noDatabaseYet(configuration)) }
            return
        }
        let entries = try store.journal(limit: max(1, limit), includeDryRuns: true)
        if output.json {
            try printJSON(entries)
            return
        }
        if entries.isEmpty { print("no import yet") }
        for e in entries {
            print(
                "\(e.finishedAt)  \(e.outcome.rawValue)\(e.dryRun ? " (dry run)" : "")  \(e.mode?.rawValue ?? "-") \(e.extractDate?.iso ?? "-")  \(e.durationMilliseconds) ms"
            )
            if let reason = e.reason { print("    \(OutsideText.escaped(reason))") }
        }
    }
}
