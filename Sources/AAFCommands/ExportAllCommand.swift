import AAFDigest
import AAFFileSystem
import AAFModel
import AAFPipeline
import AAFStore
import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `aafd export-all`: everything aafd stores, for a data return protocol (convention art. 16: "un protocole de
/// reprise des données"; issue 14). A new 0700 folder: one JSON Lines file per table, the spool's deliveries, a
/// README, and `MANIFEST.sha256` (`sha256sum -c` checks it). Journaled before anything is written (who, when, why).
struct ExportAllCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-all",
        abstract: "Write everything aafd stores to a new folder, with a SHA-256 manifest (data return protocol).",
        discussion: """
            The folder must not exist (exit 73). Files are 0600, folders 0700: the export holds every piece of \
            personal data aafd keeps, registers and journals included. Verify it with \
            'cd DIR && sha256sum -c MANIFEST.sha256'. Journaled (who, when, why, the manifest's hash).
            """
    )

    @OptionGroup var options: GlobalOptions
    @Option(help: "The new folder to write.") var output: String
    @Option(help: "Who asks (journaled with the Unix user).") var by: String
    @Option(help: "Why (journaled): the protocol, the request.") var reason: String?

    func run() throws {
        let configuration = try options.load()
        guard let store = try openStoreForReading(configuration, readOnly: false) else {
            throw CommandFailure(.noInput, noDatabaseYet(configuration))
        }
        guard mkdir(output, 0o700) == 0 else {
            throw CommandFailure(.cantCreate, "cannot create \(output) (errno \(errno)): it must not exist yet")
        }
        let at = Timestamp.string(configuration.importSettings.now())
        let who = AdminIdentity.current(by: by)
        do {
            try store.adminJournal.recordRead(
                "export-all",
                jointure: nil,
                by: who,
                at: at,
                detail: "output=\(URL(fileURLWithPath: output).standardizedFileURL.path)"
                    + (reason.map { " reason: \($0)" } ?? "")
            )
        } catch {
            rmdir(output)
            throw CommandFailure(.tempFail, "cannot journal this export (\(error)); nothing written, try again")
        }
        // Each file hashed as it is written (never read back): the manifest comes from these.
        var manifest: [(path: String, sha256: String, bytes: Int)] = []
        do {
            // The tables, one file each, in one read snapshot.
            try mkdirPrivate("tables")
            var files: [String: OutputFile] = [:]
            let counts = try store.dumpAllTables { table, line in
                if files[table] == nil { files[table] = try create("tables/\(table).jsonl") }
                try files[table]!.write(line + "\n")
            }
            // A file for every table, an empty one included: the archive says the table was there.
            for table in counts.keys where files[table] == nil { files[table] = try create("tables/\(table).jsonl") }
            for file in files.values { manifest.append(try file.finish()) }
            // The spool: deliveries waiting to be imported, or refused and kept for diagnosis (R10); copied in
            // blocks of 1 MiB, whatever a file's size.
            var spoolFiles = 0
            if let folders = try? FileManager.default.contentsOfDirectory(atPath: configuration.spoolDirectory) {
                for folder in folders.sorted() where !folder.hasPrefix(".") {
                    let source = (configuration.spoolDirectory as NSString).appendingPathComponent(folder)
                    guard let names = try? FileManager.default.contentsOfDirectory(atPath: source) else { continue }
                    try mkdirPrivate("spool")
                    try mkdirPrivate("spool/\(folder)")
                    for name in names.sorted() {
                        let copy = try create("spool/\(folder)/\(name)")
                        try copy.copy(from: source + "/" + name)
                        manifest.append(try copy.finish())
                        spoolFiles += 1
                    }
                }
            }
            // The access answers (issue 23): copies of what aafd held about a person, sent to the académie.
            var answerFiles = 0
            if let names = try? FileManager.default.contentsOfDirectory(atPath: configuration.answersDirectory) {
                for name in names.sorted() where !name.hasPrefix(".") {
                    let source = (configuration.answersDirectory as NSString).appendingPathComponent(name)
                    var info = stat()
                    guard lstat(source, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
                    try mkdirPrivate("answers")
                    let copy = try create("answers/\(name)")
                    try copy.copy(from: source)
                    manifest.append(try copy.finish())
                    answerFiles += 1
                }
            }
            let readme = [
                "aafd export-all: everything aafd stored for \(configuration.commune), on \(at)",
                "Parties: \(configuration.commune); \(configuration.academy); \(configuration.publisher)",
                "Asked by \(who)" + (reason.map { "; reason: \($0)" } ?? ""),
                "tables/NAME.jsonl: every row of each table, one JSON object per line (Docs/schema.md); attrs columns",
                "  hold aafd's stored form of attributes (ADR 0016): a JSON object, attribute name -> values.",
                "spool/: deliveries not imported yet, or refused and kept for diagnosis (R10). These are the académie's",
                "  files as delivered: they hold every attribute the académie sent, including those the directory never",
                "  stores (R1: e.g. ENTEleveINE, birth dates of guardians, staff addresses without consent).",
                "answers/: access answers (person show --for-request) not yet erased (issue 23).",
                "Rows: " + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
                "Spool files: \(spoolFiles)",
                "Answer files: \(answerFiles)",
                "Check: cd this folder && sha256sum -c MANIFEST.sha256",
                "This folder holds personal data: keep it 0700, hand it over as the protocol says, then erase it.",
            ].joined(separator: "\n")
            let readmeFile = try create("README.txt")
            try readmeFile.write(readme + "\n")
            manifest.append(try readmeFile.finish())
            manifest.sort { $0.path < $1.path }
            let text = manifest.map { "\($0.sha256)  \($0.path)\n" }.joined()
            let manifestFile = try create("MANIFEST.sha256")
            try manifestFile.write(text)
            _ = try manifestFile.finish()
            let total = manifest.reduce(0) { $0 + $1.bytes }
            print(
                "exported \(counts.values.reduce(0, +)) rows in \(counts.count) tables and \(spoolFiles) spool files "
                    + "(\(total) bytes) to \(output); MANIFEST.sha256 \(SHA256Hasher.hex(text))"
            )
        } catch {
            FileHandle.standardError.write(
                Data("aafd: export-all failed; erase the partial folder \(output) (it holds personal data)\n".utf8)
            )
            throw error
        }
    }

    private func path(_ relative: String) -> String { (output as NSString).appendingPathComponent(relative) }

    private func mkdirPrivate(_ relative: String) throws {
        guard mkdir(path(relative), 0o700) == 0 || errno == EEXIST else {
            throw CommandFailure(.cantCreate, "cannot create \(path(relative)) (errno \(errno))")
        }
    }

    private func create(_ relative: String) throws -> OutputFile {
        let fd = open(path(relative), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CommandFailure(.cantCreate, "cannot create \(path(relative)) (errno \(errno))") }
        return OutputFile(fd: fd, relative: relative)
    }
}

/// One file of the export: written through, its SHA-256 and size kept as it goes, synced and closed by `finish`.
private final class OutputFile {
    let fd: Int32
    let relative: String
    let hasher = SHA256Hasher()
    var bytes = 0
    var open = true

    init(fd: Int32, relative: String) {
        self.fd = fd
        self.relative = relative
    }

    deinit { if open { close(fd) } }

    func write(_ text: String) throws {
        try Array(text.utf8).withUnsafeBytes { try write($0) }
    }

    func write(_ buffer: UnsafeRawBufferPointer) throws {
        hasher.update(buffer)
        if let code = FileDescriptor.writeAll(fd, buffer) {
            throw CommandFailure(.ioError, "cannot write \(relative) (errno \(code))")
        }
        bytes += buffer.count
    }

    /// Copies a regular file (never a link or a FIFO: `RegularFile.open`) in blocks of 1 MiB.
    func copy(from source: String) throws {
        let input: Int32
        do { input = try RegularFile.open(source).fd } catch {
            throw CommandFailure(.ioError, "cannot read \(source) (\(error)); the export is incomplete")
        }
        defer { close(input) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { FileDescriptor.read(input, into: $0) }
            guard n >= 0 else { throw CommandFailure(.ioError, "cannot read \(source) (errno \(errno))") }
            if n == 0 { return }
            try buffer.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    func finish() throws -> (path: String, sha256: String, bytes: Int) {
        guard fsync(fd) == 0 else { throw CommandFailure(.ioError, "cannot sync \(relative) (errno \(errno))") }
        close(fd)
        open = false
        return (relative, hasher.finalize(), bytes)
    }
}
