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
            try store.journalRead(
                "export-all",
                jointure: nil,
                by: who,
                at: at,
                detail: "output=\(output)" + (reason.map { " reason: \($0)" } ?? "")
            )
        } catch {
            rmdir(output)
            throw CommandFailure(.tempFail, "cannot journal this export (\(error)); nothing written, try again")
        }
        var manifest: [(path: String, sha256: String, bytes: Int)] = []
        do {
            // The tables, one file each, in one read snapshot.
            try mkdirPrivate("tables")
            var files: [String: Int32] = [:]
            defer { for fd in files.values { close(fd) } }
            let counts = try store.dumpAllTables { table, line in
                let fd: Int32
                if let open = files[table] {
                    fd = open
                } else {
                    fd = try create("tables/\(table).jsonl")
                    files[table] = fd
                }
                try writeAll(fd, line + "\n")
            }
            // A file for every table, an empty one included: the archive says the table was there.
            for table in counts.keys where files[table] == nil { files[table] = try create("tables/\(table).jsonl") }
            for (table, fd) in files {
                guard fsync(fd) == 0 else { throw CommandFailure(.ioError, "cannot sync tables/\(table).jsonl") }
            }
            // The spool: deliveries waiting to be imported, or refused and kept for diagnosis (R10).
            var spoolFiles = 0
            if let folders = try? FileManager.default.contentsOfDirectory(atPath: configuration.spoolDirectory) {
                for folder in folders.sorted() where !folder.hasPrefix(".") {
                    let source = (configuration.spoolDirectory as NSString).appendingPathComponent(folder)
                    guard let names = try? FileManager.default.contentsOfDirectory(atPath: source) else { continue }
                    try mkdirPrivate("spool")
                    try mkdirPrivate("spool/\(folder)")
                    for name in names.sorted() {
                        let data = try Data(contentsOf: URL(fileURLWithPath: source + "/" + name))
                        let fd = try create("spool/\(folder)/\(name)")
                        defer { close(fd) }
                        try data.withUnsafeBytes { raw in try writeAll(fd, raw) }
                        guard fsync(fd) == 0 else {
                            throw CommandFailure(.ioError, "cannot sync spool/\(folder)/\(name)")
                        }
                        spoolFiles += 1
                    }
                }
            }
            var readme = [
                "aafd export-all: everything aafd stored for \(configuration.commune), on \(at)",
                "Parties: \(configuration.commune); \(configuration.academy); \(configuration.publisher)",
                "Asked by \(who)" + (reason.map { "; reason: \($0)" } ?? ""),
                "tables/NAME.jsonl: every row of each table, one JSON object per line (Docs/schema.md); attrs columns",
                "  hold aafd's stored form of attributes (ADR 0004): name, values separated by ASCII US/RS/GS.",
                "spool/: deliveries not imported yet, or refused and kept for diagnosis (R10).",
                "Rows: " + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
                "Spool files: \(spoolFiles)",
                "Check: cd this folder && sha256sum -c MANIFEST.sha256",
                "This folder holds personal data: keep it 0700, hand it over as the protocol says, then erase it.",
            ].joined(separator: "\n")
            readme += "\n"
            let fd = try create("README.txt")
            try writeAll(fd, readme)
            fsync(fd)
            close(fd)
            manifest = try hashEverything()
            let text = manifest.map { "\($0.sha256)  \($0.path)\n" }.joined()
            let m = try create("MANIFEST.sha256")
            try writeAll(m, text)
            fsync(m)
            close(m)
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

    private func create(_ relative: String) throws -> Int32 {
        let fd = open(path(relative), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CommandFailure(.cantCreate, "cannot create \(path(relative)) (errno \(errno))") }
        return fd
    }

    private func writeAll(_ fd: Int32, _ text: String) throws {
        try Array(text.utf8).withUnsafeBytes { try writeAll(fd, $0) }
    }

    private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            guard n > 0 else { throw CommandFailure(.ioError, "cannot write in \(output) (errno \(errno))") }
            done += n
        }
    }

    /// SHA-256 of every file written, by relative path (the manifest itself aside).
    private func hashEverything() throws -> [(path: String, sha256: String, bytes: Int)] {
        var result: [(String, String, Int)] = []
        guard let walker = FileManager.default.enumerator(atPath: output) else { return [] }
        for case let relative as String in walker {
            var info = stat()
            guard lstat(path(relative), &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            let data = try Data(contentsOf: URL(fileURLWithPath: path(relative)))
            let hasher = SHA256Hasher()
            data.withUnsafeBytes { hasher.update($0) }
            result.append((relative, hasher.finalize(), data.count))
        }
        return result.sorted { $0.0 < $1.0 }
    }
}
