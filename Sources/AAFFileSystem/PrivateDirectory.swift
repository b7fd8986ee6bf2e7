import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A folder only its owner may enter (0700), created with its parents when missing: the state folder, the
/// database's folder, the spool and its deliveries.
public enum PrivateDirectory {
    public enum Failure: Error, Sendable {
        /// Something that is not a folder is in the way.
        case notADirectory
        /// It could not be created (permissions, a read-only or full file system).
        case cannotCreate
    }

    /// A link in its place is refused, never followed (issue 20: a link swapped in for a folder aafd creates would
    /// have it work, or chown, wherever the link points).
    public static func ensure(_ path: String) throws(Failure) {
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else { throw .notADirectory }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: path,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw .cannotCreate
        }
    }
}
