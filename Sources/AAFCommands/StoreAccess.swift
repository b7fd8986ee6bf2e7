import AAFFileSystem
import AAFModel
import AAFPipeline
import AAFStore
import AAFTransfer
import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Opens the directory, mapping failures to exit 74. With `checkBeside`, the damage check runs while the caller
/// works, every commit waiting for it (``DirectoryStore/init(path:checkBeside:)``): the caller then ends with
/// ``failIfDamaged(_:_:)``.
func openStore(_ configuration: Configuration, checkBeside: Bool = false) throws -> DirectoryStore {
    do {
        try RunLock.ensureDirectory((configuration.databasePath as NSString).deletingLastPathComponent)
        let store = try DirectoryStore(path: configuration.databasePath, checkBeside: checkBeside)
        store.erasureWait = .seconds(configuration.erasureWaitSeconds)
        return store
    } catch let failure as CommandFailure {
        throw failure
    } catch let refusal as PathTrust.Refusal {
        throw CommandFailure(.config, refusal.message)
    } catch let damaged as DatabaseDamaged {
        throw damagedFailure(configuration, damaged)
    } catch let error as SQLiteError where error.isStorageFailure {
        throw CommandFailure(
            .ioError,
            "cannot open the directory database: \(error); check free space on its file system (df -h \((configuration.databasePath as NSString).deletingLastPathComponent)) and the disk; nothing was changed"
        )
    } catch {
        throw CommandFailure(.ioError, "cannot open the directory database: \(error)")
    }
}

/// A damaged database: an incident that cannot be recorded in it, so the alert command runs on every attempt; exit 74
/// with what to do.
private func damagedFailure(_ configuration: Configuration, _ damaged: DatabaseDamaged) -> CommandFailure {
    Alert(configuration.run).raiseUnrecorded(outcome: "database-damaged", reason: damaged.description)
    return CommandFailure(.ioError, damaged.description)
}

/// Ends a command whose store was opened with `checkBeside`: waits for the damage check, and fails as a damage found
/// at open does (every commit was refused meanwhile).
func failIfDamaged(_ configuration: Configuration, _ store: DirectoryStore) throws {
    if let damaged = store.damage() { throw damagedFailure(configuration, damaged) }
}

/// Opens the directory for a question that changes nothing: never creates or migrates it (a read-only command
/// racing with the first `aafd run` must not create tables). Nil when no database exists yet.
func openStoreForReading(_ configuration: Configuration, readOnly: Bool = true) throws -> DirectoryStore? {
    guard FileManager.default.fileExists(atPath: configuration.databasePath) else { return nil }
    // A first run may be creating it right now: its migrations take milliseconds, so wait a little for them.
    let deadline = ContinuousClock.now + .seconds(5)
    while true {
        do {
            let store = try DirectoryStore(existingAt: configuration.databasePath, readOnly: readOnly)
            store.erasureWait = .seconds(configuration.erasureWaitSeconds)
            return store
        } catch let refusal as PathTrust.Refusal {
            throw CommandFailure(.config, refusal.message)
        } catch let error as StoreError {
            guard ContinuousClock.now < deadline else { throw CommandFailure(.tempFail, error.message) }
            usleep(50_000)
        } catch {
            guard ContinuousClock.now < deadline else {
                throw CommandFailure(.ioError, "cannot open the directory database: \(error)")
            }
            usleep(50_000)
        }
    }
}

/// A register's `list`: its rows, newest first, as JSON (`[]` before any import) or one line each.
protocol RegisterListing: ParsableCommand {
    associatedtype Row: Encodable
    var options: GlobalOptions { get }
    var output: OutputOptions { get }
    /// Said when there is no row (no import has created the directory yet, or the register is empty).
    var nothing: String { get }
    func rows(_ store: DirectoryStore, _ configuration: Configuration) throws -> [Row]
    /// One row on one line; what administrators typed escaped (``OutsideText``).
    func line(_ row: Row, _ configuration: Configuration) -> String
}

extension RegisterListing {
    func run() throws {
        let configuration = try options.load()
        let rows = try openStoreForReading(configuration).map { try self.rows($0, configuration) } ?? []
        if output.json { return try printJSON(rows) }
        if rows.isEmpty { print(nothing) }
        for row in rows { print(line(row, configuration)) }
    }
}

/// The message of a question asked before any import created the database.
func noDatabaseYet(_ configuration: Configuration) -> String {
    "no directory yet at \(configuration.databasePath): no import has run (aafd import, or the service's first run, creates it)"
}

/// The spool; a failure is `TransferError.local` (exit 74).
func openSpool(_ configuration: Configuration) throws -> Spool {
    try Spool(root: configuration.spoolDirectory)
}
