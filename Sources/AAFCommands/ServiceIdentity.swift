import AAFFileSystem
import AAFModel

#if canImport(Glibc)
import Glibc
#endif

/// An administrator's command run as root on an installed aafd acts as the `aafd` system user.
///
/// The Debian package runs aafd as the system user `aafd` (sysusers.d), and aafd trusts only files of the user it
/// runs as (R18). A sysadmin typing `aafd status` as root would otherwise be refused, or worse, `aafd import` as
/// root would create a database the service can no longer open. So when root runs aafd and the database's folder
/// belongs to the user named `aafd`, aafd takes that user's identity (and its groups) before touching anything.
/// Only that user: taking the identity of whoever owns the folder would let any user who made it be trusted.
enum ServiceIdentity {
    static let userName = "aafd"

    /// Becomes `aafd` when running as root and `folder` is owned by it; otherwise changes nothing.
    static func adopt(forStateIn folder: String) throws {
        _ = AdminIdentity.unixUser  // who started aafd, read before the identity changes
        guard geteuid() == 0, let user = getpwnam(userName) else { return }
        var info = stat()
        guard lstat(folder, &info) == 0, info.st_uid == user.pointee.pw_uid, info.st_uid != 0 else { return }
        let uid = user.pointee.pw_uid
        let gid = user.pointee.pw_gid
        guard initgroups(userName, gid) == 0, setgid(gid) == 0, setuid(uid) == 0 else {
            throw CommandFailure(.ioError, "cannot act as the \(userName) user, who owns \(folder) (errno \(errno))")
        }
        // Where the service has its home (libssh reads it), so has the command.
        if let home = user.pointee.pw_dir { setenv("HOME", home, 1) }
    }
}
