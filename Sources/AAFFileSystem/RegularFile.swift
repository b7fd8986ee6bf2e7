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
}
