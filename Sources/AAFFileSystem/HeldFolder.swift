#if canImport(Glibc)
import Glibc
#endif

/// A folder opened once, without following a link, and checked on its descriptor: owned by the user running, and no
/// permission for group or others (`forbidden`: by default every one; 0o022 where others may only look, as in
/// /etc/aafd). Files are then created inside with `openat` from that descriptor, never
/// following a link, so nobody can swap the folder or a file under aafd between the check and the write.
///
/// For what root must write and keep (the package's purge inventory, a final certificate of deletion): root never
/// creates, chowns or writes through a path another user could have replaced (issue 20).
public final class HeldFolder {
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public let path: String
    public let fd: Int32

    /// Opens `path`, creating it 0700 when it is missing (its parent must then belong to the user running or to
    /// root and be writable by its owner only). An existing link, non-folder, folder of another user, or folder
    /// with a `forbidden` permission bit is refused, never changed.
    public init(_ path: String, create: Bool = true, forbidden: mode_t = 0o077) throws(Refusal) {
        self.path = path
        if create, mkdir(path, 0o700) != 0, errno != EEXIST {
            throw Refusal(description: "cannot create the folder \(path) (errno \(errno))")
        }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = errno == ELOOP || errno == ENOTDIR ? "it is a link or not a folder" : "errno \(errno)"
            throw Refusal(description: "cannot open the folder \(path): \(reason); refused, nothing changed")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_uid == geteuid(), info.st_mode & forbidden == 0 else {
            close(fd)
            let rule = forbidden == 0o077 ? "that nobody else may enter (0700)" : "that nobody else may write"
            throw Refusal(
                description:
                    "the folder \(path) belongs to uid \(info.st_uid) with mode \(String(info.st_mode & 0o7777, radix: 8)): "
                    + "only a folder of the user running (uid \(geteuid())) \(rule) is used; "
                    + "refused, nothing changed. Fix: remove it, or give another folder"
            )
        }
        // Its parent: a folder that another user may write could have it replaced by a link after this open.
        var parent = stat()
        let above = PathTrust.folder(of: path)
        guard lstat(above, &parent) == 0, parent.st_uid == 0 || parent.st_uid == geteuid(),
            parent.st_mode & 0o022 == 0 || parent.st_mode & S_ISVTX != 0
        else {
            close(fd)
            throw Refusal(
                description:
                    "the folder \(above) holding \(path) may be written by another user; refused, nothing changed"
            )
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Creates (or truncates) `name` in the folder, 0600, never following a link; the caller closes the descriptor.
    public func create(_ name: String, exclusive: Bool = false) throws(Refusal) -> Int32 {
        let flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC)
        let file = openat(fd, name, flags, 0o600)
        guard file >= 0 else {
            throw Refusal(description: "cannot create \(path)/\(name) (errno \(errno))")
        }
        return file
    }

    /// Writes `text` to `name` (created or truncated, 0600), synced, and syncs the folder.
    public func write(_ text: String, to name: String) throws(Refusal) {
        let file = try create(name)
        defer { close(file) }
        guard FileDescriptor.writeAll(file, Array(text.utf8)), fsync(file) == 0, fsync(fd) == 0 else {
            throw Refusal(description: "cannot write \(path)/\(name) (errno \(errno))")
        }
    }
}
