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

    /// `path` with its symbolic links resolved when each belongs to root and sits in a folder of root's that
    /// nobody else may write: systemd's `StateDirectory=` under `DynamicUser=` (`/var/lib/aafd-x` →
    /// `private/aafd-x`). Any other link ends the resolution: the path is returned as given, for the checks to
    /// refuse (R18: a link another user made could point anywhere).
    public static func resolvingRootLinks(_ path: String) -> String {
        guard path.hasPrefix("/") else { return path }
        var current = ""
        let parts = path.split(separator: "/").map(String.init)
        for (index, part) in parts.enumerated() {
            let candidate = current + "/" + part
            var info = stat()
            guard lstat(candidate, &info) == 0 else {
                return ([current] + parts[index...]).joined(separator: "/")
            }
            guard info.st_mode & S_IFMT == S_IFLNK else {
                current = candidate
                continue
            }
            var parent = stat()
            guard info.st_uid == 0, lstat(current.isEmpty ? "/" : current, &parent) == 0, parent.st_uid == 0,
                parent.st_mode & 0o022 == 0, let real = realpath(candidate, nil)
            else { return path }
            current = String(cString: real)
            free(real)
        }
        return current.isEmpty ? "/" : current
    }

    /// The folder holding `path` ("." for a bare name).
    public static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public enum Kind: Sendable, Equatable {
        /// A folder aafd keeps state in: owned by aafd's user, not writable by group or others.
        case folder
        /// A file with personal data (database, WAL, spool files, lock): owned by aafd's user, no group or other
        /// permission at all.
        case privateFile
        /// A configuration file: owned by aafd's user or root, writable by its owner only (as sshd checks).
        case configuration
        /// The SFTP key or its passphrase (R16): like a private file, and owned by root too when `rootMayOwn`
        /// (systemd's credentials).
        case secret(rootMayOwn: Bool)
        /// The folder of a trusted file of `kind`: the same owners, writable by its owner only.
        indirect case trustedFolder(of: Kind)

        var owners: [uid_t] {
            switch self {
            case .configuration, .secret(rootMayOwn: true): [geteuid(), 0]
            case .trustedFolder(of: let kind): kind.owners
            default: [geteuid()]
            }
        }

        var isFolder: Bool {
            switch self {
            case .folder, .trustedFolder: true
            default: false
            }
        }

        /// Permission bits nobody but the owner may have.
        var forbidden: mode_t { self == .configuration || isFolder ? 0o022 : 0o077 }

        var rule: String {
            if case .secret = self { "R16" } else { "R18" }
        }
    }

    /// Checks `path` if it exists (an absent path is fine: aafd creates it with the right mode). Does not follow a
    /// final symbolic link.
    ///
    /// - Throws: ``Refusal`` when it exists and may not be trusted.
    public static func check(_ path: String, _ kind: Kind, what: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        try verify(info, path, kind, what: what)
    }

    /// Checks a file that must exist (the key, its passphrase), following links to it: a credential systemd
    /// provides may be one.
    ///
    /// - Throws: ``Refusal`` when it is missing or may not be trusted.
    public static func checkExisting(_ path: String, _ kind: Kind, what: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw Refusal(path: path, message: "cannot read \(what) \(path) (errno \(errno)); check the configuration")
        }
        try verify(info, path, kind, what: what)
    }

    /// A file whose content decides what aafd trusts or runs (pinned host keys, a program it starts): it must
    /// be a regular file (links followed: the final file is what counts) owned by the user aafd runs as or root, and
    /// writable by its owner only; its folder too, unless that folder is root's and sticky (/tmp), where nobody can
    /// replace another's file. Issue 20: a 0666 `known_hosts` let any local user choose the server.
    ///
    /// - Throws: ``Refusal`` with the fix.
    /// A missing file is not a trust problem here: what needs it (a fetch, an alert) says so when it runs.
    public static func checkTrustedFile(_ path: String, what: String) throws {
        var present = stat()
        guard stat(path, &present) == 0 || errno != ENOENT else { return }
        try checkExisting(path, .configuration, what: what)
        guard let real = realpath(path, nil) else { return }
        let resolved = String(cString: real)
        free(real)
        let folder = folder(of: resolved)
        var info = stat()
        guard stat(folder, &info) == 0 else { return }
        let sticky = info.st_uid == 0 && info.st_mode & S_ISVTX != 0
        guard !sticky else { return }
        try verify(info, folder, .trustedFolder(of: .configuration), what: "the folder of \(what)")
    }

    private static func verify(_ info: stat, _ path: String, _ kind: Kind, what: String) throws {
        let type = info.st_mode & S_IFMT
        let mode = info.st_mode & 0o7777
        let me = geteuid()
        let rule = kind.rule
        guard kind.isFolder ? type == S_IFDIR : type == S_IFREG else {
            let expected = kind.isFolder ? "a folder" : "a regular file (a link, a FIFO or a device)"
            throw Refusal(path: path, message: "\(what) \(path) is not \(expected); refused (\(rule))")
        }
        guard kind.owners.contains(info.st_uid) else {
            throw Refusal(
                path: path,
                message:
                    "\(what) \(path) belongs to uid \(info.st_uid), not to the user aafd runs as (uid \(me)); refused (\(rule)). "
                    + "Fix: check who created it, then chown it to aafd's user, or remove it"
            )
        }
        guard mode & kind.forbidden == 0 else {
            let fix =
                switch kind {
                case .folder: "chmod 700"
                case .trustedFolder, .configuration: "chmod go-w"
                default: "chmod 600"
                }
            let who = kind.forbidden == 0o077 ? "group or others may read or write it" : "group or others may write it"
            throw Refusal(
                path: path,
                message:
                    "\(what) \(path) has mode \(String(mode, radix: 8)): \(who); refused (\(rule)). "
                    + "Fix: \(fix) \(path), after checking that nobody changed it"
            )
        }
    }
}
