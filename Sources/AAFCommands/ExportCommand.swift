import AAFFileSystem
import AAFModel
import AAFPipeline
import AAFStore
import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `aafd export`: the active directory as JSON Lines, CSV or LDIF, streamed (Docs/ent-interface.md).
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract:
            "Export the active directory as JSON Lines, CSV (RFC 4180) or LDIF, streaming; journaled (who, when, what).",
        discussion: """
            Only what the directory keeps (Annexe 3, R1-R3), only active entries. Records are written one at a time: \
            memory does not grow with the directory. --output creates a new file, mode 0600 (it must not exist); \
            without it, stdout. Each export is recorded in the administrator journal (who, when, format, categories, \
            count, output; never a value). Exit 66 when no directory exists yet, 73 when the output cannot be created.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case jsonl, csv, ldif
    }

    enum Category: String, ExpressibleByArgument, CaseIterable {
        case structure, pupil, staff, guardian

        var aaf: AAFCategory {
            switch self {
            case .structure: .structure
            case .pupil: .pupil
            case .staff: .staff
            case .guardian: .guardian
            }
        }
    }

    @OptionGroup var options: GlobalOptions

    @Option(help: "jsonl, csv or ldif.")
    var format: Format = .jsonl

    @Option(
        name: .customLong("category"),
        help: "structure, pupil, staff or guardian; repeat for several (default: all)."
    )
    var categories: [Category] = []

    @Option(help: "A new file to write (mode 0600); default: stdout.")
    var output: String?

    @Option(name: .customLong("base-dn"), help: "LDIF: the directory's base DN (it must exist on the server).")
    var baseDN = "dc=ent,dc=invalid"

    @OptionGroup var reader: ReaderOptions

    func run() throws {
        let configuration = try options.load()
        guard let store = try openStoreForReading(configuration, readOnly: false) else {
            throw CommandFailure(.noInput, noDatabaseYet(configuration))
        }
        let chosen = (categories.isEmpty ? Category.allCases : categories).map(\.aaf).sorted()
        let sink = try ExportSink(path: output)
        var count = 0
        do {
            let writer = ExportWriter(format: format, baseDN: baseDN, sink: sink)
            try store.readingSnapshot {
                try writer.begin()
                for category in chosen {
                    count +=
                        try format == .jsonl
                        ? store.exportRecords(of: category) { try writer.record($0) }
                        : store.typedExportRecords(of: category) { try writer.record($0) }
                }
                if format == .ldif, chosen.contains(.pupil) {
                    try store.exportGroups { try writer.group($0) }
                }
            }
            try sink.finish()
        } catch {
            sink.abandon()
            throw error
        }
        let who = AdminIdentity.current(by: reader.by)
        let detail =
            "format=\(format.rawValue) categories=\(chosen.map(\.reportKey).joined(separator: ",")) records=\(count) "
            + "output=\(output.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? "stdout")"
            + reader.journalSuffix
        try store.adminJournal.recordExport(
            detail: detail,
            recordedBy: who,
            at: Timestamp.string(configuration.importSettings.now())
        )
        FileHandle.standardError.write(Data("aafd: exported \(count) records (\(format.rawValue))\n".utf8))
    }
}

/// Where an export goes: stdout, or a new 0600 file written under a temporary name and renamed when complete
/// (``AtomicFile``).
final class ExportSink {
    private let file: AtomicFile?
    private var buffer: [UInt8] = []

    init(path: String?) throws {
        guard let path else {
            file = nil
            return
        }
        guard access(path, F_OK) != 0 else {
            throw CommandFailure(.cantCreate, "\(path) exists; an export never overwrites a file: choose a new name")
        }
        do {
            file = try AtomicFile(path, suffix: ".part", replaceStale: false)
        } catch {
            throw CommandFailure(.cantCreate, "\(error); check the folder and its owner")
        }
        buffer.reserveCapacity(1 << 16)
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try flush() }
    }

    private func flush() throws {
        if let code = buffer.withUnsafeBytes({ FileDescriptor.writeAll(file?.fd ?? STDOUT_FILENO, $0) }) {
            throw CommandFailure(.ioError, "cannot write the export (errno \(code)); check free space")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes; a file is fsynced, closed and renamed to its name.
    func finish() throws {
        try flush()
        do { try file?.commit() } catch {
            throw CommandFailure(.ioError, "\(error); check free space")
        }
    }

    /// After a failure: no half file under the final name.
    func abandon() {
        file?.abandon()
    }
}
