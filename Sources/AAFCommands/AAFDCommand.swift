import AAFFileSystem
import AAFModel
import AAFParser
import AAFPipeline
import AAFPolicy
import AAFStore
import AAFTransfer
import ArgumentParser
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `aafd`: the daemon and admin CLI of an ENT1D directory.
public struct AAFDCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "aafd",
        abstract:
            "Import the académie's AAF ENT1D deliveries into a SQLite ENT directory, and answer questions about it.",
        discussion:
            "Exit codes: 0 ok, 65 delivery refused, 66 not found, 69 unavailable, 73 cannot create the output, 74 I/O error, 75 locked, 76 imported but remote copies not deleted, 77 refused by the server, 78 configuration error.",
        version: AAFVersion.string,
        subcommands: [
            ImportCommand.self, FetchCommand.self, DaemonCommand.self, StatusCommand.self, HistoryCommand.self,
            PersonCommand.self,
            PurgeCommand.self, CertificateCommand.self, ConsentCommand.self, ExportCommand.self, ChangesCommand.self,
            CheckConfigCommand.self, RequestCommand.self, IncidentCommand.self, ExportAllCommand.self,
            DecommissionCommand.self, SetupCommand.self,
        ]
    )

    public init() {}

    /// Parses `arguments`, runs the command and returns the process exit status. Messages go to stderr,
    /// results to stdout.
    public static func run(_ arguments: [String]) -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            return ExitStatus.ok.rawValue
        } catch let failure as CommandFailure {
            JournalStream.write("aafd: \(failure.message)", level: .error)
            return failure.status.rawValue
        } catch let refusal as PathTrust.Refusal {
            JournalStream.write("aafd: \(refusal.message)", level: .error)
            return ExitStatus.config.rawValue
        } catch let error as TransferError {
            JournalStream.write("aafd: \(error.message)", level: .error)
            return ExitStatus(for: error.outcome).rawValue
        } catch {
            let code = exitCode(for: error).rawValue
            // ArgumentParser's usage and help: several lines of aafd's own, with what was typed inside.
            let text = OutsideText.escapedKeepingLines(fullMessage(for: error))
            if code != 0 {
                FileHandle.standardError.write(Data("\(text)\n".utf8))
            } else {
                Swift.print(text)
            }
            // ArgumentParser's usage errors are EX_USAGE (64).
            return code
        }
    }

    /// Process-wide set-up done once before any command: a strict umask (R18), libxml2, logging to stderr.
    public static func bootstrap() {
        umask(0o077)
        LibXML2Setup.initialize()
        let level = ProcessInfo.processInfo.environment["AAFD_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            // Under systemd, each line carries its priority for journald; everywhere, text from outside is escaped
            // (JournalStream, OutsideText).
            JournalLogHandler(logLevel: level, label: label)
        }
    }
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (TOML).")
    var config: String = Configuration.defaultPath

    /// Reads the configuration; run as root on an installed aafd, then acts as the `aafd` user
    /// (``ServiceIdentity``).
    func load() throws -> Configuration {
        let configuration = try Configuration.load(path: config)
        try ServiceIdentity.adopt(forStateIn: PathTrust.folder(of: configuration.databasePath))
        // What decides whom aafd trusts or what it runs, checked as the user that will trust it (issue 20).
        let untrusted = configuration.untrustedFiles()
        guard untrusted.isEmpty else {
            throw CommandFailure(.config, "\(config): " + untrusted.joined(separator: "\n  "))
        }
        return configuration
    }

    func logger(_ configuration: Configuration) -> Logger {
        var logger = Logger(label: "aafd")
        if let level = Logger.Level(rawValue: configuration.logLevel),
            ProcessInfo.processInfo.environment["AAFD_LOG_LEVEL"] == nil
        {
            logger.logLevel = level
        }
        return logger
    }
}
