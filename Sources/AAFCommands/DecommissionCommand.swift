import AAFFileSystem
import AAFModel
import AAFStore
import AAFTransfer
import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `aafd decommission --inventory DIR`: what a final erasure would remove, written before the binary goes away.
///
/// The Debian package's `prerm` runs it when the package is removed (the data stays); `postrm purge`, which runs
/// after the binary is gone, reads the list, overwrites and removes every file on it, and completes the
/// certificate (R12, R13; convention art. 6.3, 16, 17). It changes nothing itself. Counts only, never a value
/// (R15).
struct DecommissionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decommission",
        abstract: "Write the inventory a final erasure needs: a certificate draft and the files to erase.",
        discussion: """
            With --inventory DIR, writes DIR/NAME.certificate (the parties, what the directory holds, table by \
            table, counts only; the chain of deletion records and its head) and DIR/NAME.erase (one line per path: \
            'file PATH', 'tree PATH' or 'dir PATH'), NAME being the configuration file's name without .toml. Changes \
            nothing else. The Debian package's maintainer scripts use it: 'dpkg --purge aafd' erases what the list \
            names and leaves the completed certificate in /var/backups.
            """
    )

    @OptionGroup var options: GlobalOptions
    @Option(help: "Folder (created 0700) where the inventory files are written, replacing earlier ones.")
    var inventory: String?
    @Flag(
        name: .customLong("confirm-erase-everything"),
        help: "End of the convention: erase the directory, journals, registers, spool and keys now (irreversible)."
    )
    var confirm = false
    @Option(help: "With --confirm-erase-everything: the final certificate's file (default: beside the configuration).")
    var certificate: String?

    func validate() throws {
        guard (inventory != nil) != confirm else {
            throw ValidationError(
                "give --inventory DIR (changes nothing), or --confirm-erase-everything to erase everything aafd keeps "
                    + "for this configuration (the end of the convention, art. 16-17): the directory, its journals and "
                    + "registers, the spool, the published copy, the SFTP key; aafd export-all first if the parties "
                    + "asked for the data back"
            )
        }
    }

    func run() throws {
        if confirm { return try erase() }
        guard let inventory else { return }
        // Root (the package's prerm) creates the folder for the aafd user that options.load() then becomes.
        try makeInventoryFolder(
            inventory,
            owner: PathTrust.folder(of: try Configuration.load(path: options.config).databasePath)
        )
        let configuration = try options.load()
        let name = ((options.config as NSString).lastPathComponent as NSString).deletingPathExtension
        let certificate = try certificateDraft(configuration)
        let erase = eraseList(configuration)
        for path in erase where path.contains("\n") {
            throw CommandFailure(.config, "a configured path holds a line break; the erase list cannot name it")
        }
        try write(certificate, to: (inventory as NSString).appendingPathComponent("\(name).certificate"))
        try write(
            erase.joined(separator: "\n") + "\n",
            to: (inventory as NSString).appendingPathComponent("\(name).erase")
        )
        print("inventory of \(options.config) written to \(inventory)/\(name).certificate and \(name).erase")
    }

    /// The certificate's first part: who, what was stored (counts), the deletion chain. The erasure appends the rest.
    func certificateDraft(_ configuration: Configuration) throws -> String {
        var lines = [
            "CERTIFICAT DE SUPPRESSION DÉFINITIVE / FINAL CERTIFICATE OF DELETION",
            "(convention ENT1D, art. 6.3, 16 and 17; aafd rules R12, R13)",
            "Parties: \(configuration.commune); \(configuration.academy); \(configuration.publisher)",
            "Configuration: \(options.config)",
            "Inventory taken \(Timestamp.string(Date())) by aafd \(AAFVersion.string), when the package was removed",
        ]
        guard let store = try openStoreForReading(configuration) else {
            lines.append("Directory database \(configuration.databasePath): none (no import ever ran)")
            return lines.joined(separator: "\n") + "\n"
        }
        let counts = try store.counts()
        lines.append("Directory database \(configuration.databasePath):")
        lines.append(
            "  active: "
                + AAFCategory.importOrder.map { "\(counts[$0]) \($0.reportKey)" }.joined(separator: ", ")
                + "; departed awaiting purge: \(counts.departed)"
        )
        lines.append(
            "  rows by table: "
                + (try store.tableRowCounts()).map { "\($0.table) \($0.rows)" }.joined(separator: ", ")
        )
        let chain = try store.verifyPurgeChain()
        lines.append(
            "  deletion records: \(chain.records), chain "
                + (chain.ok ? "verified" : "NOT VERIFIED (\(chain.problems.joined(separator: "; ")))")
                + ", head \(chain.head)"
        )
        let waiting =
            (try? FileManager.default.contentsOfDirectory(atPath: configuration.spoolDirectory))?.filter {
                !$0.hasPrefix(".")
            }.count ?? 0
        lines.append("Spool \(configuration.spoolDirectory): \(waiting) deliveries waiting")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Every path aafd wrote for this configuration, as `kind path` lines: `file` (overwrite, remove), `tree`
    /// (every file under it, then the folder), `dir` (remove when empty). Keys under /run (systemd credentials)
    /// are copies the service manager removes; their sources in /etc/aafd are erased by the package's purge.
    func eraseList(_ configuration: Configuration) -> [String] {
        let database = configuration.databasePath
        var lines = ["", "-wal", "-shm", "-journal"].map { "file \(database)\($0)" }
        lines.append("file \(configuration.lockPath)")
        lines.append("tree \(configuration.spoolDirectory)")
        lines.append("tree \(configuration.answersDirectory)")
        if let copy = configuration.publishedCopy {
            let folder = (copy as NSString).deletingLastPathComponent
            let hidden = (folder as NSString).appendingPathComponent(".\((copy as NSString).lastPathComponent).new")
            lines += ["file \(copy)", "file \(hidden)"]
        }
        if let metrics = configuration.metricsTextfile { lines.append("file \(metrics)") }
        if let sftp = configuration.sftp {
            for path in [sftp.privateKey, sftp.passphraseFile, sftp.knownHosts].compactMap({ $0 })
            where !path.hasPrefix("/run/") {
                lines.append("file \(path)")
            }
        }
        lines.append("dir \(configuration.stateDirectory)")
        lines.append("dir \((database as NSString).deletingLastPathComponent)")
        return lines
    }

    /// `--confirm-erase-everything`: the end of the convention (art. 16, 17; issue 14). Takes the run lock, writes
    /// the certificate draft, erases every path of the erase list (each file overwritten with zeros, synced, then
    /// removed: R12), and writes the final certificate of deletion beside the configuration, outside everything
    /// erased (0600, never over an existing file).
    private func erase() throws {
        let configuration = try options.load()
        let stamp = Timestamp.string(Date())
        let target =
            certificate
            ?? (PathTrust.folder(of: options.config) as NSString).appendingPathComponent(
                "aafd-final-certificate-\(stamp.replacingOccurrences(of: ":", with: "")).txt"
            )
        let lock = try RunLock(path: configuration.lockPath)
        var text = try certificateDraft(configuration).replacingOccurrences(
            of: "when the package was removed",
            with: "before the erasure"
        )
        var tally = SecureErase.Tally()
        do {
            for line in eraseList(configuration) {
                let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                switch parts[0] {
                case "file": try SecureErase.file(parts[1], into: &tally)
                case "tree": try SecureErase.tree(parts[1], into: &tally)
                default: break
                }
            }
        } catch let failure as SecureErase.Failure {
            throw CommandFailure(.ioError, "\(failure); the erasure is incomplete: fix it and run again")
        }
        withExtendedLifetime(lock) {}
        for line in eraseList(configuration) where line.hasPrefix("dir ") {
            SecureErase.folderIfEmpty(String(line.dropFirst(4)), into: &tally)
        }
        text += "Erasure: \(Timestamp.string(Date())), by aafd decommission (\(AdminIdentity.current(by: nil)))\n"
        text += "  \(tally.files.count) files (\(tally.bytes) bytes) overwritten with zeros, synced, then removed; "
        text += "folders removed: \(tally.folders.count)\n"
        for f in tally.files { text += "    \(f)\n" }
        for f in tally.folders { text += "    \(f)/\n" }
        text += "Limits: overwriting in place does not reach copies that storage keeps elsewhere (SSD remapping,\n"
        text += "  copy-on-write file systems, snapshots, backups): erase those by their own means (R12).\n"
        try AnswerFile.write(text, to: target)
        print("erased \(tally.files.count) files (\(tally.bytes) bytes); final certificate of deletion: \(target)")
    }

    /// Creates the inventory folder (0700) and, when root runs this for an installed aafd, gives it to the owner
    /// of the database's folder when that is the `aafd` user, who writes the inventory.
    private func makeInventoryFolder(_ inventory: String, owner folder: String) throws {
        do {
            try PrivateDirectory.ensure(inventory)
        } catch {
            throw CommandFailure(.cantCreate, "cannot create the inventory folder \(inventory)")
        }
        var info = stat()
        guard geteuid() == 0, let user = getpwnam(ServiceIdentity.userName), lstat(folder, &info) == 0,
            info.st_uid == user.pointee.pw_uid
        else { return }
        guard chown(inventory, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
            throw CommandFailure(.cantCreate, "cannot give the inventory folder \(inventory) to the aafd user")
        }
    }

    private func write(_ text: String, to path: String) throws {
        do {
            try RegularFile.replace(path, with: Array(text.utf8))
        } catch {
            throw CommandFailure(.cantCreate, "cannot \(error.step) (errno \(error.errno))")
        }
    }
}
