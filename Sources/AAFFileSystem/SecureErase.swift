#if canImport(Glibc)
import Glibc
#endif

/// Erasing a file as R12 asks of a final deletion: every byte it holds overwritten with zeros and synced before
/// the name goes, so neither a reader that kept it open nor a later read of the freed blocks finds the old values.
/// Overwriting in place does not reach copies kept by SSD remapping, copy-on-write file systems, snapshots or
/// backups: the certificates say so.
public enum SecureErase {
    /// What an erasure removed.
    public struct Tally: Sendable {
        public var files: [String] = []
        public var bytes = 0
        public var folders: [String] = []
        public init() {}
    }

    /// Overwrites the regular file at `path` with zeros, syncs it, removes it. A symbolic link is removed, not
    /// followed. Absent: nothing.
    public static func file(_ path: String, into tally: inout Tally) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFLNK {
            unlink(path)
            return
        }
        guard info.st_mode & S_IFMT == S_IFREG else { return }
        let fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: path, errno: errno) }
        defer { close(fd) }
        let size = Int(info.st_size)
        if let code = FileDescriptor.zeroFill(fd, size: size) { throw Failure(path: path, errno: code) }
        guard unlink(path) == 0 else { throw Failure(path: path, errno: errno) }
        tally.files.append(path)
        tally.bytes += size
    }

    /// Every file under `path` as `file(_:into:)` does, then the folders. A symbolic link is removed, not followed.
    public static func tree(_ path: String, into tally: inout Tally) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFDIR else { return try file(path, into: &tally) }
        guard let dir = opendir(path) else { throw Failure(path: path, errno: errno) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        closedir(dir)
        for name in names.sorted() { try tree(path + "/" + name, into: &tally) }
        guard rmdir(path) == 0 else { throw Failure(path: path, errno: errno) }
        tally.folders.append(path)
    }

    /// Removes the folder if it is empty.
    public static func folderIfEmpty(_ path: String, into tally: inout Tally) {
        if rmdir(path) == 0 { tally.folders.append(path) }
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var errno: Int32
        public var description: String { "cannot erase \(path) (errno \(errno))" }
    }
}
