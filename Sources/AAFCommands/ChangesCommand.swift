import AAFModel
import AAFPipeline
import AAFStore
import ArgumentParser
import Foundation

/// `aafd changes`: the change feed, as JSON Lines (Docs/ent-interface.md).
struct ChangesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "changes",
        abstract:
            "Print what changed since a cursor, as JSON Lines: categories, jointures, attribute names; no values.",
        discussion: """
            Each line has a cursor; pass the last one to the next call (--since). A consumer starts with a full load \
            (the ent_ views, or aafd export) and the cursor --current prints. Exit 66 when the changes since that \
            cursor are no longer all kept (purged with the journal, R11) or the cursor is ahead of this database \
            (restored from a backup): resync from the views, then follow --current.
            """
    )

    @OptionGroup var options: GlobalOptions

    @Option(help: "The last cursor already applied (0: from the oldest kept change).")
    var since: Int?

    @Flag(help: "Print the current cursor only (after a full load).")
    var current = false

    enum Format: String, ExpressibleByArgument, CaseIterable { case jsonl, ldif }

    @Option(
        help: """
            jsonl (each change), or ldif: the LDIF change records that bring an LDAP directory loaded with \
            `aafd export --format ldif` (or brought to that cursor) to now.
            """
    )
    var format: Format = .jsonl

    @Option(name: .customLong("base-dn"), help: "LDIF: the base DN of the export.")
    var baseDN = "dc=ent,dc=invalid"

    /// LDIF only: journaled like an export.
    @OptionGroup var reader: ReaderOptions

    func run() throws {
        let configuration = try options.load()
        // LDIF prints values (names, e-mails): journaled like an export, so the store is opened for writing.
        guard let store = try openStoreForReading(configuration, readOnly: format != .ldif) else {
            throw CommandFailure(.noInput, noDatabaseYet(configuration))
        }
        let window = try store.changeFeed.window()
        if current {
            print(window.current)
            return
        }
        let cursor = since ?? window.floor
        guard cursor >= window.floor, cursor <= window.current else {
            throw CommandFailure(
                .noInput,
                cursor < window.floor
                    ? "the changes after cursor \(cursor) are no longer all kept (kept after \(window.floor), R11): "
                        + "resync from the views (ent_*, or aafd export), then follow from `aafd changes --current`"
                    : "cursor \(cursor) is ahead of this directory (\(window.current)): it was restored or replaced; "
                        + "resync from the views (ent_*, or aafd export), then follow from `aafd changes --current`"
            )
        }
        if format == .ldif {
            let sink = try ExportSink(path: nil)
            let count = try store.readingSnapshot {
                try LDIFChanges(store: store, baseDN: baseDN, sink: sink).write(after: cursor)
            }
            try sink.finish()
            // Issue 23: every command that prints values is journaled (who, when, scope, count), like `export`.
            try store.adminJournal.recordExport(
                detail: "changes format=ldif since=\(cursor) to=\(window.current) entries=\(count) output=stdout"
                    + reader.journalSuffix,
                recordedBy: AdminIdentity.current(by: reader.by),
                at: Timestamp.string(configuration.importSettings.now())
            )
            FileHandle.standardError.write(Data("aafd: next cursor \(window.current)\n".utf8))
            return
        }
        let last = try store.changeFeed.records(after: cursor) { print($0) }
        FileHandle.standardError.write(Data("aafd: next cursor \(last)\n".utf8))
    }
}
