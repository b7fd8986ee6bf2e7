import AAFFileSystem
import AAFModel
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The lock every writing aafd run holds: `flock(LOCK_EX | LOCK_NB)` on `aafd.lock` in the state directory.
///
/// A second run fails at once with exit 75. The kernel releases the lock when the process dies, so a
/// SIGKILLed run never leaves a stale lock.
public final class RunLock {
    private let fd: Int32

    /// Creates the state directory (0700) if needed and takes the lock.
    ///
    /// - Throws: ``CommandFailure`` 75 when another run holds it, 74 when the file cannot be created.
    public init(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try RunLock.ensureDirectory(directory)
        do {
            try PathTrust.check(directory, .folder, what: "the state folder")
            try PathTrust.check(path, .privateFile, what: "the lock file")
        } catch let refusal as PathTrust.Refusal {
            throw CommandFailure(.config, refusal.message)
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw CommandFailure(
                .ioError,
                "cannot open the lock file \(path) (errno \(errno)); check [directory] state_dir and its owner"
            )
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            Glibc.close(fd)
            throw CommandFailure(.tempFail, "another aafd run holds \(path); try again when it has finished")
        }
        self.fd = fd
    }

    deinit {
        flock(fd, LOCK_UN)
        Glibc.close(fd)
    }

    /// Creates `directory` with mode 0700 (R18) when it does not exist.
    public static func ensureDirectory(_ directory: String) throws {
        do {
            try PrivateDirectory.ensure(directory)
        } catch .notADirectory {
            throw CommandFailure(.ioError, "\(directory) exists and is not a directory")
        } catch {
            throw CommandFailure(
                .ioError,
                "cannot create \(directory); create it (mode 0700) or fix [directory] database / state_dir"
            )
        }
    }
}
