#if canImport(Glibc)
import Glibc
#endif

/// Opening a file aafd is about to read (a delivery file, a spool file) without being stuck or fooled: read-only,
/// without following a final symbolic link, and without blocking, since a FIFO planted under a delivery file's name
/// would block `open` until a writer comes, ignoring SIGTERM and holding the lock (ADR 0008). The type is checked
/// on the descriptor, then reads block as usual.
public enum RegularFile {
    public enum Failure: Error, Sendable {
        /// `open` failed (missing, unreadable, a symbolic link): errno.
        case cannotOpen(Int32)
        /// A FIFO, a device or a folder.
        case notRegular
    }

    /// - Returns: the open descriptor (the caller closes it) and what `fstat` says of it.
    public static func open(_ path: String) throws(Failure) -> (fd: Int32, info: stat) {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { throw .cannotOpen(errno) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw .notRegular
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return (fd, info)
    }

    /// Why a file could not be replaced: the step and errno.
    public struct WriteFailure: Error, Sendable {
        public var step: String
        public var errno: Int32
    }

    /// Replaces the file at `path` with `bytes`, all or nothing: written 0600 under `path.tmp` (never following a
    /// link there), fsynced, renamed over `path`; the folder fsynced too when `syncFolder`.
    public static func replace(_ path: String, with bytes: [UInt8], syncFolder: Bool = true) throws(WriteFailure) {
        let temporary = path + ".tmp"
        unlink(temporary)
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw WriteFailure(step: "create \(temporary)", errno: errno) }
        let ok = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) == $0.count } && fsync(fd) == 0
        let failure = errno
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            let error = ok ? errno : failure
            unlink(temporary)
            throw WriteFailure(step: "write \(path)", errno: error)
        }
        guard syncFolder else { return }
        let folder = Glibc.open(PathTrust.folder(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else { throw WriteFailure(step: "open the folder of \(path)", errno: errno) }
        defer { close(folder) }
        guard fsync(folder) == 0 else { throw WriteFailure(step: "sync the folder of \(path)", errno: errno) }
    }
}
