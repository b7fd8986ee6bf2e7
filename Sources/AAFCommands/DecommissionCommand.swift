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
        // Root (the package's prerm) writes the inventory in a folder of its own: the erase list is computed from
        // the configuration (root's) and written before aafd's identity is taken; the certificate draft, which
        // reads the database, is written as aafd through a descriptor root opened. Nothing is chowned, no link is
        // followed, and nothing aafd could write decides what a purge erases (issue 20).
        let name = ((options.config as NSString).lastPathComponent as NSString).deletingPathExtension
        let folder: HeldFolder
        let draftFile: Int32
        do {
            folder = try HeldFolder(inventory)
            let unread = try Configuration.load(path: options.config)
            let erase = eraseList(unread)
            for path in erase where !OutsideText.isPlain(path) {
                throw CommandFailure(
                    .config,
                    "a configured path holds a control character; the erase list cannot name it"
                )
            }
            try folder.write(erase.joined(separator: "\n") + "\n", to: "\(name).erase")
            draftFile = try folder.create("\(name).certificate")
        } catch let refusal as HeldFolder.Refusal {
            throw CommandFailure(.cantCreate, "the inventory: \(refusal)")
        }
        defer { close(draftFile) }
        let configuration = try options.load()
        let certificate = try certificateDraft(configuration, moment: "au retrait du paquet")
        guard FileDescriptor.writeAll(draftFile, Array(certificate.utf8)), fsync(draftFile) == 0 else {
            throw CommandFailure(.ioError, "cannot write \(inventory)/\(name).certificate (errno \(errno))")
        }
        print("inventory of \(options.config) written to \(inventory)/\(name).certificate and \(name).erase")
    }

    /// What aafd's administrator journal says it wrote outside its state folder (issue 23): `export --output` files
    /// and `export-all` folders, by absolute path. Names from aafd's own database: the package's purge (root) never
    /// erases them, it lists them; `--confirm-erase-everything` erases those the aafd user owns.
    func recordedOutputs(_ store: DirectoryStore) throws -> [String] {
        try store.adminJournal.recordedOutputs().map(\.path)
    }

    /// The certificate's first part: who, what was stored (counts), the deletion chain. The erasure appends the rest.
    /// - Parameter moment: when the inventory is taken ("au retrait du paquet", "avant l'effacement").
    func certificateDraft(_ configuration: Configuration, moment: String) throws -> String {
        var lines = [
            "CERTIFICAT DE SUPPRESSION DÉFINITIVE",
            "(convention ENT du premier degré, art. 6.3, 16 et 17 ; règles R12 et R13 d'aafd)",
            "Parties : \(configuration.commune) ; \(configuration.academy) ; \(configuration.publisher)",
            "Configuration : \(options.config)",
            "Inventaire fait le \(Timestamp.string(Date())) par aafd \(AAFVersion.string), \(moment)",
        ]
        guard let store = try openStoreForReading(configuration) else {
            lines.append("Annuaire \(configuration.databasePath) : aucun (aucun import n'a eu lieu)")
            return lines.joined(separator: "\n") + "\n"
        }
        let counts = try store.counts()
        lines.append("Annuaire \(configuration.databasePath) :")
        lines.append(
            "  présents : "
                + AAFCategory.importOrder.map { "\(FrenchLabels.counts[$0.reportKey] ?? $0.reportKey) : \(counts[$0])" }
                .joined(separator: ", ")
                + " ; partis, en attente de suppression : \(counts.departed)"
        )
        lines.append(
            "  lignes par table : "
                + (try store.tableRowCounts()).map { "\($0.table) \($0.rows)" }.joined(separator: ", ")
        )
        let chain = try store.verifyPurgeChain()
        lines.append(
            "  enregistrements de suppression : \(chain.records), chaîne "
                + (chain.ok ? "vérifiée" : "NON VÉRIFIÉE (\(chain.problems.joined(separator: "; ")))")
                + ", tête \(chain.head)"
        )
        let waiting =
            (try? FileManager.default.contentsOfDirectory(atPath: configuration.spoolDirectory))?.filter {
                !$0.hasPrefix(".")
            }.count ?? 0
        lines.append("Dépôt local \(configuration.spoolDirectory) : \(waiting) livraisons en attente")
        let outputs = try recordedOutputs(store)
        lines.append(
            "Exports enregistrés par le journal d'administration (export --output, export-all) : \(outputs.count)"
                + (outputs.isEmpty
                    ? ""
                    : " ; la purge du paquet ne les efface pas (leurs noms viennent de la base d'aafd) : aafd "
                        + "decommission efface ceux qui appartiennent à l'utilisateur d'aafd ; effacez les autres à la main")
        )
        for path in outputs { lines.append("  \(OutsideText.escaped(path))") }
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
            lines += ["file \(copy)", "file \(CopyPublisher.temporaryCopyPath(for: copy))"]
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

    /// `--confirm-erase-everything`: the end of the convention (art. 16, 17; issue 14). The final certificate is
    /// created first (0600, never over an existing file), by the user who runs the command — root, whose
    /// configuration folder aafd cannot write — in a folder checked and held; it says the erasure started and is
    /// synced before anything is erased, so the proof can never be the step that fails (issue 20). Then, as aafd:
    /// the run lock, every path of the erase list (each file overwritten with zeros, synced, then removed: R12),
    /// and the certificate completed through the same descriptor.
    private func erase() throws {
        _ = try Configuration.load(path: options.config)  // a configuration error before any file is created
        let stamp = Timestamp.string(Date())
        let target =
            certificate
            ?? (PathTrust.folder(of: options.config) as NSString).appendingPathComponent(
                "aafd-final-certificate-\(stamp.replacingOccurrences(of: ":", with: "")).txt"
            )
        let file: Int32
        do {
            // Others may look into that folder (/etc/aafd is 0755); nobody else may write in it. The file is 0600.
            let folder = try HeldFolder(PathTrust.folder(of: target), create: false, forbidden: 0o022)
            file = try folder.create((target as NSString).lastPathComponent, exclusive: true)
            // The folder's own sync makes the certificate's name durable before the first erasure.
            _ = fsync(folder.fd)
        } catch {
            throw CommandFailure(
                .cantCreate,
                "cannot create the final certificate \(target) (\(error)); nothing was erased. "
                    + "Choose its place with --certificate PATH, in a folder of yours that only you may write"
            )
        }
        defer { close(file) }
        let configuration = try options.load()
        func append(_ text: String) throws {
            guard FileDescriptor.writeAll(file, Array(text.utf8)), fsync(file) == 0 else {
                throw CommandFailure(.ioError, "cannot write the final certificate \(target) (errno \(errno))")
            }
        }
        let lock: RunLock
        do { lock = try RunLock(path: configuration.lockPath) } catch {
            try? append(
                "NON EFFACÉ : une autre exécution d'aafd tenait le verrou le \(Timestamp.string(Date())) ; rien n'a été effacé\n"
            )
            throw error
        }
        try append(
            try certificateDraft(configuration, moment: "avant l'effacement")
                + "Effacement commencé : \(Timestamp.string(Date())), par aafd decommission (\(AdminIdentity.current(by: nil)))\n"
        )
        var tally = SecureErase.Tally()
        // The exports aafd's journal recorded (issue 23), read before the database goes: erased when the aafd user
        // owns them (this command runs as aafd), listed otherwise.
        var notErased: [String] = []
        let outputs = try openStoreForReading(configuration).map { try recordedOutputs($0) } ?? []
        do {
            for path in outputs {
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                guard info.st_uid == geteuid() else {
                    notErased.append(
                        "\(path) : non effacé : appartient à l'uid \(info.st_uid), pas à l'utilisateur d'aafd"
                    )
                    continue
                }
                try SecureErase.tree(path, into: &tally)
            }
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
            try? append("INCOMPLET : \(failure) ; \(tally.files.count) fichiers effacés avant l'erreur\n")
            throw CommandFailure(
                .ioError,
                "\(failure); the erasure is incomplete (\(target) says so): fix it and run again"
            )
        }
        withExtendedLifetime(lock) {}
        for line in eraseList(configuration) where line.hasPrefix("dir ") {
            SecureErase.folderIfEmpty(String(line.dropFirst(4)), into: &tally)
        }
        var text = "Effacement terminé : \(Timestamp.string(Date()))\n"
        text +=
            "  \(tally.files.count) fichiers (\(tally.bytes) octets) remplis de zéros, synchronisés, puis supprimés ; "
        text += "dossiers supprimés : \(tally.folders.count)\n"
        for f in tally.files { text += "    \(OutsideText.escaped(f))\n" }
        for f in tally.folders { text += "    \(OutsideText.escaped(f))/\n" }
        if !notErased.isEmpty {
            text +=
                "NON EFFACÉS (exports écrits par aafd, appartenant maintenant à un autre utilisateur ; à effacer à la main) :\n"
            for line in notErased { text += "    \(OutsideText.escaped(line))\n" }
        }
        text +=
            "Limites : écrire des zéros à la place des données n'atteint pas les copies que le stockage garde ailleurs\n"
        text +=
            "  (SSD, systèmes de fichiers copy-on-write, instantanés, sauvegardes) : effacez-les par leurs propres moyens (R12).\n"
        try append(text)
        print("erased \(tally.files.count) files (\(tally.bytes) bytes); final certificate of deletion: \(target)")
    }
}
