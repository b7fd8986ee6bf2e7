import AAFFileSystem
import AAFModel
import AAFPipeline
import AAFTransfer
import ArgumentParser
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `aafd check-config`: everything a run needs, checked without connecting anywhere.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration: every key, file modes, key size, pinned host, writable folders.",
        discussion: "Exit 0 when everything is usable; 78 with one line per problem otherwise."
    )

    @OptionGroup var options: GlobalOptions

    @Flag(
        help: """
            Also connect to the SFTP server: verify the pinned host key, authenticate, list remote_dir and say what a \
            run would fetch. Downloads and deletes nothing; creates no database.
            """
    )
    var connect = false

    func run() throws {
        let configuration = try options.load()  // keys, types, ranges: 78 with file and key
        var problems: [String] = []
        for (what, folder) in [
            ("[directory] database folder", (configuration.databasePath as NSString).deletingLastPathComponent),
            ("[directory] state_dir", configuration.stateDirectory),
            ("[directory] spool", configuration.spoolDirectory),
        ] {
            if let problem = CheckConfigCommand.writable(folder) { problems.append("\(what) \(folder): \(problem)") }
            do { try PathTrust.check(folder, .folder, what: what) } catch let refusal as PathTrust.Refusal {
                problems.append(refusal.message)
            }
        }
        // R18: what aafd would open must be its own and private.
        let db = configuration.databasePath
        for (path, what) in [
            (db, "the database"), (db + "-wal", "the database's WAL"),
            (db + "-shm", "the database's shared memory file"),
            (configuration.lockPath, "the lock file"),
        ] {
            do { try PathTrust.check(path, .privateFile, what: what) } catch let refusal as PathTrust.Refusal {
                problems.append(refusal.message)
            }
        }
        if let textfile = configuration.metricsTextfile {
            let folder = (textfile as NSString).deletingLastPathComponent
            if access(folder, W_OK) != 0 { problems.append("[metrics] textfile: cannot write in \(folder)") }
        }
        problems += entProblems(configuration)
        if let sftp = configuration.sftp {
            do {
                try PrivateKey.check(sftp)
            } catch let error as TransferError {
                problems.append("[sftp] \(error.message)")
            }
            if let text = try? String(contentsOfFile: sftp.knownHosts, encoding: .utf8) {
                let names = sftp.port == 22 ? [sftp.host, "[\(sftp.host)]:22"] : ["[\(sftp.host)]:\(sftp.port)"]
                let pinned = text.split(separator: "\n").contains { line in
                    let hosts = line.split(separator: " ").first.map { $0.split(separator: ",").map(String.init) } ?? []
                    return hosts.contains { names.contains($0) || $0.hasPrefix("|1|") }
                }
                if !pinned {
                    problems.append(
                        "[sftp] known_hosts \(sftp.knownHosts) has no entry for \(names.last!); pin the académie's host key (Docs/operations.md)"
                    )
                }
            } else {
                problems.append("[sftp] known_hosts \(sftp.knownHosts) cannot be read")
            }
        } else {
            print("note: no [sftp] section: only `aafd import --from-dir` can run")
        }
        guard problems.isEmpty else {
            throw CommandFailure(
                .config,
                "\(options.config): \(problems.count) problem(s):\n  " + problems.joined(separator: "\n  ")
            )
        }
        print("\(options.config): OK")
        if let sftp = configuration.sftp, !sftp.deleteAfterDownload {
            print("warning: " + SFTPSettings.keepRemoteWarning)
        }
        if connect { try checkConnection(configuration) }
    }

    /// `[ent] published_copy` as the shipped units will meet it (issue 21): a folder of aafd's that it may write,
    /// setgid for the reader group (the units' sandbox denies fchown, so the group must come from the folder), and
    /// one the units may write (their state folder, or /var/lib/aafd-ent). check-config runs outside the units'
    /// sandbox: it says so, and the first run under systemd proves it (a failure is an incident `status` shows).
    private func entProblems(_ configuration: Configuration) -> [String] {
        guard let copy = configuration.publishedCopy else { return [] }
        let folder = PathTrust.folder(of: copy)
        let group = configuration.readerGroup.map(String.init) ?? "GROUP"
        var info = stat()
        guard lstat(folder, &info) == 0 else {
            return [
                "[ent] published_copy: its folder \(folder) does not exist: install -d -m 2750 -o aafd -g \(group) \(folder)"
            ]
        }
        var problems: [String] = []
        do { try PathTrust.check(folder, .folder, what: "[ent] published_copy's folder") } catch let refusal
            as PathTrust.Refusal
        {
            problems.append(refusal.message)
        } catch {}
        if access(folder, W_OK) != 0 { problems.append("[ent] published_copy: cannot write in \(folder)") }
        if let gid = configuration.readerGroup, info.st_gid != gid || info.st_mode & S_ISGID == 0 {
            problems.append(
                "[ent] published_copy: \(folder) must belong to reader_group (gid \(gid)) and be setgid, so that the copy "
                    + "takes that group without aafd changing it (the shipped units deny it): chgrp \(gid) \(folder) && "
                    + "chmod 2750 \(folder)"
            )
        }
        if folder != "/var/lib/aafd-ent", !folder.hasPrefix(configuration.stateDirectory) {
            print(
                "note: the shipped units may write only their state folder and /var/lib/aafd-ent; to publish in "
                    + "\(folder) under them, add ReadWritePaths=\(folder) in a drop-in (systemctl edit aafd.service)"
            )
        }
        return problems
    }

    /// The day-one check with the académie on the phone: connect, pin, authenticate, list; change nothing.
    private func checkConnection(_ configuration: Configuration) throws {
        guard let sftp = configuration.sftp else {
            throw CommandFailure(.config, "\(options.config): --connect needs an [sftp] section")
        }
        // The directory only if it exists already: it says what was imported and what deletions are owed.
        let store =
            FileManager.default.fileExists(atPath: configuration.databasePath) ? try openStore(configuration) : nil
        let spool = try openSpool(configuration)
        var quiet = options.logger(configuration)
        quiet.logLevel = .warning
        // A TransferError reaches the command's edge: its outcome decides the exit status.
        let report = try Fetcher(
            settings: sftp,
            spool: spool,
            store: store,
            logger: quiet,
            now: configuration.importSettings.now
        ).fetch(dryRun: true)
        print(
            "connected to \(sftp.host):\(sftp.port); host key \(report.hostKeyFingerprint ?? "?") matches \(sftp.knownHosts) (R17)"
        )
        print("authenticated as \(sftp.user) with \(sftp.privateKey) (R16); listed \(sftp.remoteDirectory)")
        print(FetchText.render(report))
    }

    /// Nil when `folder` exists and is writable, or can be created; else what is wrong.
    static func writable(_ folder: String) -> String? {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { return "not a folder" }
            return access(folder, W_OK | X_OK) == 0 ? nil : "not writable by this user"
        }
        let parent = (folder as NSString).deletingLastPathComponent
        guard !parent.isEmpty, parent != folder else { return "does not exist and cannot be created" }
        return writable(parent) == nil ? nil : "does not exist and cannot be created"
    }
}
