#if canImport(Glibc)
import Glibc
#endif

/// Whether a local path may be trusted with the directory's personal data (R18): aafd reads and writes only
/// files and folders that belong to the user it runs as and that nobody else can write. Another local user who
/// pre-creates `aafd.sqlite3` (0666) would read every pupil; one who drops a folder in the spool would have it
/// imported without any SFTP. Refusals name the path and the fix.
public enum PathTrust {
    /// Why a path is refused.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { message }

        public init(path: String, message: String) {
            self.path = path
            self.message = message
        }
    }

    /// The folder holding `path` ("." for a bare name).
    public static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public enum Kind: Sendable {
        /// A folder aafd keeps state in: owned by aafd's user, not writable by group or others.
        case folder
        /// A file with personal data (database, WAL, spool files, lock): owned by aafd's user, no group or other
        /// permission at all.
        case privateFile
        /// A configuration file: owned by aafd's user or root, writable by its owner only (as sshd checks).
        case configuration
    }

    /// Checks `path` if it exists (an absent path is fine: aafd creates it with the right mode). Does not follow a
    /// final symbolic link.
    ///
    /// - Throws: ``Refusal`` when it exists and may not be trusted.
    public static func check(_ path: String, _ kind: Kind, what: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        let type = info.st_mode & S_IFMT
        let mode = info.st_mode & 0o7777
        let octal = String(mode, radix: 8)
        let me = geteuid()
        switch kind {
        case .folder:
            guard type == S_IFDIR else {
                throw Refusal(path: path, message: "\(what) \(path) is not a folder; refused (R18)")
            }
        case .privateFile, .configuration:
            guard type == S_IFREG else {
                throw Refusal(
                    path: path,
                    message: "\(what) \(path) is not a regular file (a link, a FIFO or a device); refused (R18)"
                )
            }
        }
        let owners: [uid_t] = kind == .configuration ? [me, 0] : [me]
        guard owners.contains(info.st_uid) else {
            throw Refusal(
                path: path,
                message:
                    "\(what) \(path) belongs to uid \(info.st_uid), not to the user aafd runs as (uid \(me)); refused (R18). "
                    + "Fix: check who created it, then chown it to aafd's user, or remove it"
            )
        }
        let forbidden: mode_t = kind == .privateFile ? 0o077 : 0o022
        guard mode & forbidden == 0 else {
            let fix = kind == .privateFile ? "chmod 600" : (kind == .folder ? "chmod 700" : "chmod 600")
            throw Refusal(
                path: path,
                message:
                    "\(what) \(path) has mode \(octal): \(kind == .privateFile ? "group or others may read or write it" : "group or others may write it"); "
                    + "refused (R18). Fix: \(fix) \(path), after checking that nobody changed it"
            )
        }
    }
}
