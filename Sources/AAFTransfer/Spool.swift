import AAFDigest
import AAFFileSystem
import AAFModel
internal import CFileSync
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The local spool: one folder (0700) per delivery, files 0600, written durably (R10, R18).
///
/// A file is written under a hidden temporary name (`.NAME.part`) — write-back started as it arrives — fsynced and
/// renamed to its final name. Once every file of a delivery is there, ``commit(_:in:)`` records them in the folder's
/// manifest (`.manifest`: name, size, SHA-256, replaced atomically) and fsyncs the folder: only then are the copies
/// durable and may the remote files go (R10). A cut transfer leaves at most a hidden `.part` file, which no import
/// ever reads and the next download replaces; files not yet in the manifest are downloaded again.
public final class Spool: Sendable {
    public let root: String
    /// Finishes files (fsync, rename) in the background while the next one downloads; ``commit(_:in:)`` waits.
    private let finisher = DispatchQueue(label: "aafd.spool.finish")
    private let finishError = Mutex<TransferError?>(nil)

    /// One manifest line.
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var size: Int
        public var sha256: String
    }

    /// Opens the spool at `root`, creating it (0700) if needed.
    public init(root: String) throws {
        self.root = root
        try Spool.makeDirectory(root)
        try PathTrust.check(root, .folder, what: "the spool")
    }

    /// The folder of a delivery: `YYYYMMDD-Complet` or `YYYYMMDD-Delta`.
    public func folder(for delivery: Delivery) -> String {
        (root as NSString).appendingPathComponent(delivery.folderName)
    }

    /// A delivery folder of the spool.
    public struct Waiting: Sendable {
        public var path: String
        /// The delivery its manifest records (nil before the fetch committed it: a cut download).
        public var delivery: Delivery?
        /// Whether the import refused it (a `.refused` marker is there).
        public var isRefused: Bool
        /// When and why, as the marker says.
        public var refusedOn: ExtractDate?
        public var refusedRule: Rule?
    }

    /// Delivery folders present in the spool, oldest first (their names sort by date, Complet before Delta), each
    /// with the delivery its manifest records and the refusal marker's date and rule when there is one
    /// (`.refused`: `YYYY-MM-DD [RULE]`).
    public func deliveries() -> [Waiting] {
        deliveryFolders().map { name in
            let path = (root as NSString).appendingPathComponent(name)
            let listed = DeliveryCheck.group(manifest(path).map(\.name)).candidates
            let marker = (path as NSString).appendingPathComponent(".refused")
            let fields = FileManager.default.contents(atPath: marker).map {
                String(decoding: $0, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
            }
            return Waiting(
                path: path,
                delivery: listed.count == 1 && listed[0].folderName == name ? listed[0] : nil,
                isRefused: fields != nil,
                refusedOn: fields?.first.flatMap { ExtractDate(iso: $0) },
                refusedRule: fields.flatMap { $0.count > 1 ? Rule(rawValue: $0[1]) : nil }
            )
        }
    }

    /// Whether `folder` is a delivery folder of this spool (an administrator may import one with `--from-dir`).
    public func contains(_ folder: String) -> Bool {
        // Absolute first: Foundation's path functions trap on a relative one-component path ("d").
        let absolute = URL(fileURLWithPath: folder).standardizedFileURL.path
        let resolved = (absolute as NSString).resolvingSymlinksInPath
        let parent = (resolved as NSString).deletingLastPathComponent
        return parent == (root as NSString).resolvingSymlinksInPath
            && deliveryFolders().contains { name in
                ((root as NSString).appendingPathComponent(name) as NSString).resolvingSymlinksInPath == resolved
            }
    }

    /// The names of the spool's delivery folders (`YYYYMMDD-Complet`, `YYYYMMDD-Delta`), sorted: oldest first.
    private func deliveryFolders() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.sorted().filter { name in
            let parts = name.split(separator: "-")
            return parts.count == 2 && ExtractDate(compact: parts[0]) != nil
                && DeliveryMode(rawValue: String(parts[1])) != nil
        }
    }

    /// The manifest of a delivery folder.
    public func manifest(_ folder: String) -> [Entry] {
        let path = (folder as NSString).appendingPathComponent(".manifest")
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            let f = line.split(separator: "\t")
            guard f.count == 3, let size = Int(f[1]) else { return nil }
            return Entry(name: String(f[0]), size: size, sha256: String(f[2]))
        }
    }

    /// Writes `name` into `folder` from `produce`, which is handed a writer: fsynced and renamed; recorded by
    /// ``commit(_:in:)``.
    ///
    /// - Returns: the manifest entry to commit.
    /// - Throws: whatever `produce` throws (the temporary file is removed), or ``TransferError`` `.local`.
    @discardableResult
    public func store(
        _ name: String,
        in folder: String,
        expectedSize: Int,
        produce: (SpoolWriter) throws -> Void
    ) throws -> Entry {
        guard DeliveryFileName.isSafe(name) else {
            throw TransferError(.local, "refusing to write a file with an unsafe name (R20)")
        }
        try Spool.makeDirectory(folder)
        let final = (folder as NSString).appendingPathComponent(name)
        let file: AtomicFile
        do {
            file = try AtomicFile(final, temporary: (folder as NSString).appendingPathComponent(".\(name).part"))
        } catch {
            throw TransferError(.local, "\(error)")
        }
        let writer = SpoolWriter(file)
        do {
            try produce(writer)
            guard writer.written == expectedSize else {
                throw TransferError(
                    .transfer,
                    "\(name): \(writer.written) bytes written, \(expectedSize) expected; not kept"
                )
            }
        } catch {
            file.abandon()
            throw error
        }
        let entry = Entry(name: name, size: writer.written, sha256: writer.digest())
        // fsync and rename while the caller downloads the next file; commit() waits for them (and syncs the folder).
        let handoff = FinishJob(file: file)
        finisher.async { [self] in
            do {
                try handoff.file.commit(syncFolder: false)
            } catch {
                self.finishError.withLock { $0 = $0 ?? TransferError(.local, "\(error)") }
            }
        }
        return entry
    }

    /// Waits until every file handed over is fsynced and renamed; throws the first failure.
    public func waitForFiles() throws {
        finisher.sync {}
        if let error = finishError.withLock({ e -> TransferError? in
            defer { e = nil }
            return e
        }) {
            throw error
        }
    }

    /// Records `entries` in the folder's manifest and makes the folder durable (one fsync covers the files' renames
    /// and the manifest's). Call before deleting anything remotely.
    public func commit(_ entries: [Entry], in folder: String) throws {
        try waitForFiles()
        let names = Set(entries.map(\.name))
        let all = manifest(folder).filter { !names.contains($0.name) } + entries
        try writeManifest(all, in: folder, syncFolder: false)
        try Spool.syncDirectory(folder)
    }

    /// Checks the folder against its manifest: every file listed is there with its recorded size and, with
    /// `hashes`, its recorded SHA-256; no delivery file is there that the manifest does not list. The import
    /// checks everything (R18: a file another local user put or changed in the spool is never imported).
    ///
    /// - Throws: ``TransferError`` `.tampered` naming the file and what differs (R18), `.local` when a file cannot
    ///   be read.
    public func verify(_ folder: String, hashes: Bool = false) throws {
        // R18: a folder or file another local user made or can change is never imported.
        try PathTrust.check(folder, .folder, what: "the spool folder")
        for name in [".manifest", ".refused"] {
            try PathTrust.check((folder as NSString).appendingPathComponent(name), .privateFile, what: "the spool file")
        }
        let entries = manifest(folder)
        let listed = Set(entries.map(\.name))
        let present = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
            !$0.hasPrefix(".")
        }
        if let extra = present.first(where: { !listed.contains($0) }) {
            throw TransferError(
                .tampered,
                "\(DeliveryFileName.isSafe(extra) ? extra : "(a file with an unsafe name)") in \(folder) is not in its manifest: "
                    + "the spool was changed by someone other than aafd; not imported (R18)"
            )
        }
        for entry in entries {
            let path = (folder as NSString).appendingPathComponent(entry.name)
            let opened: (fd: Int32, info: stat)
            do {
                opened = try RegularFile.open(path)
            } catch .cannotOpen {
                throw TransferError(.local, "\(entry.name) in the spool is missing or unreadable; download it again")
            } catch {
                throw TransferError(
                    .tampered,
                    "\(entry.name) in the spool does not match its manifest (not a regular file); not imported (R18)"
                )
            }
            let (fd, info) = opened
            defer { Glibc.close(fd) }
            guard info.st_uid == geteuid(), info.st_mode & 0o077 == 0 else {
                throw PathTrust.Refusal(
                    path: path,
                    message: "\(entry.name) in the spool belongs to another user or others may read it; refused (R18)"
                )
            }
            guard Int(info.st_size) == entry.size else {
                throw TransferError(
                    .tampered,
                    "\(entry.name) in the spool does not match its manifest (size); not imported (R18)"
                )
            }
            guard hashes else { continue }
            let hasher = SHA256Hasher()
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let n = buffer.withUnsafeMutableBytes { FileDescriptor.read(fd, into: $0) }
                guard n >= 0 else {
                    throw TransferError(.local, "cannot read \(entry.name) in the spool (errno \(errno))")
                }
                if n == 0 { break }
                buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            }
            guard hasher.finalize() == entry.sha256 else {
                throw TransferError(
                    .tampered,
                    "\(entry.name) in the spool does not match its manifest (SHA-256): it changed after download; not imported (R18)"
                )
            }
        }
    }

    /// Marks a delivery refused on `date` by `rule` (kept for diagnosis, R10).
    public func markRefused(_ folder: String, on date: ExtractDate, rule: Rule?) throws {
        let path = (folder as NSString).appendingPathComponent(".refused")
        try Spool.writeAtomically(
            Data((date.iso + (rule.map { " " + $0.rawValue } ?? "") + "\n").utf8),
            to: path
        )
    }

    /// Deletes a delivery folder and its files (R10: once imported).
    public func remove(_ folder: String) throws {
        do {
            try FileManager.default.removeItem(atPath: folder)
            try Spool.syncDirectory(root)
        } catch let error as TransferError {
            throw error
        } catch {
            throw TransferError(.local, "cannot delete \(folder) from the spool")
        }
    }

    private func writeManifest(_ entries: [Entry], in folder: String, syncFolder: Bool) throws {
        let text = entries.map { "\($0.name)\t\($0.size)\t\($0.sha256)\n" }.joined()
        try Spool.writeAtomically(
            Data(text.utf8),
            to: (folder as NSString).appendingPathComponent(".manifest"),
            syncFolder: syncFolder
        )
    }

    /// `AtomicFile.replace`, its failure said as a spool error.
    static func writeAtomically(_ data: Data, to path: String, syncFolder: Bool = true) throws {
        do {
            try AtomicFile.replace(path, with: Array(data), syncFolder: syncFolder)
        } catch {
            throw TransferError(.local, "\(error)")
        }
    }

    static func makeDirectory(_ path: String) throws {
        do {
            try PrivateDirectory.ensure(path)
        } catch .notADirectory {
            throw TransferError(.local, "\(path) exists and is not a folder")
        } catch {
            throw TransferError(.local, "cannot create the spool folder \(path); check [directory] spool and its owner")
        }
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw TransferError(.local, "cannot open \(path) to sync it (errno \(errno))") }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw TransferError(.local, "cannot sync \(path) (errno \(errno))") }
    }
}

/// A finished download waiting for its fsync and rename on the spool's queue.
private struct FinishJob: @unchecked Sendable {
    // @unchecked Sendable: the file is handed over whole; the downloading thread never touches it again.
    let file: AtomicFile
}

/// Writes one spool file and hashes it as it goes.
public final class SpoolWriter {
    private let file: AtomicFile
    private let hasher = SHA256Hasher()
    public private(set) var written = 0
    /// Bytes already handed to the kernel's write-back.
    private var flushed = 0
    /// Write-back starts every this many bytes while downloading, so that the final fsync has little left to do.
    static let writeBackStep = 4 << 20

    init(_ file: AtomicFile) {
        self.file = file
    }

    /// Appends bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        do { try file.write(bytes) } catch {
            throw TransferError(.local, "\(error); check free space")
        }
        hasher.update(bytes)
        written += bytes.count
        if written - flushed >= SpoolWriter.writeBackStep {
            // Asynchronous: starts write-back of what was written since, without waiting for it.
            _ = cfilesync_start_writeback(file.fd, Int64(flushed), Int64(written - flushed))
            flushed = written
        }
    }

    func digest() -> String { hasher.finalize() }
}
