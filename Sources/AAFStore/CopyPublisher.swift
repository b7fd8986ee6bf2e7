import AAFFileSystem
import AAFModel
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The ENT's read-only copy (issue 12, ADR 0012): the active directory, its views and the change feed, and nothing
/// else (no consents, journals, incidents or deletion records), published atomically for a reader group after each
/// change. The previous copy is overwritten with zeros and truncated once replaced, so a reader that kept it open
/// never keeps deleted values on disk (R12) and never delays aafd. Reached as `store.copyPublisher`.
public struct CopyPublisher {
    let store: DirectoryStore
    var connection: SQLiteConnection { store.connection }

    /// The tables the copy holds, with the rows it keeps: active entries, links of active people, the change feed.
    static let publishedTables: [(table: String, rows: String)] = [
        ("structures", "departed_on IS NULL"),
        ("persons", "departed_on IS NULL AND restricted = 0"),
        ("attachments", "person_id IN (SELECT id FROM pub.persons)"),
        ("guardianships", "pupil_id IN (SELECT id FROM pub.persons)"),
        ("memberships", "person_id IN (SELECT id FROM pub.persons)"),
        ("functions", "person_id IN (SELECT id FROM pub.persons)"),
        ("directorships", "person_id IN (SELECT id FROM pub.persons)"),
        ("changes", "1"),
    ]

    /// Writes the copy under a temporary name beside `path`, gives it to `group` (mode 0640; 0600 without a group),
    /// renames it over `path`, then erases the copy it replaced.
    /// - Returns: false when the copy was already up to date (the change feed has not moved since it was written)
    ///   and nothing was written.
    @discardableResult
    public func publish(to path: String, group: gid_t?) throws -> Bool {
        // The feed's whole window: a purge that only shortens the feed (its floor rises) republishes too, so the
        // copy never keeps rows the database no longer has (issue 23).
        let window = try store.changeFeed.window()
        let state = "\(window.floor):\(window.current)"
        let published = try connection.scalarText("SELECT value FROM directory_state WHERE key = 'published_cursor'")
        var info = stat()
        if published == state, lstat(path, &info) == 0 { return false }
        let folder = PathTrust.folder(of: path)
        // R18: a folder another user can write would let them replace what the ENT reads.
        try PathTrust.check(folder, .folder, what: "the folder of [ent] published_copy")
        let temporary = Self.temporaryCopyPath(for: path)
        unlink(temporary)
        unlink(temporary + "-journal")
        let schema = try connection.rows(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
        ) { row in (type: row.text(0) ?? "", name: row.text(1) ?? "", table: row.text(2) ?? "", sql: row.text(3) ?? "")
        }
        let tables = Set(Self.publishedTables.map(\.table))
        // Created here, empty and 0600 (the connection does not create files): SQLite makes it a database.
        let created = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard created >= 0 else {
            let code = errno
            let why =
                switch code {
                case EROFS:
                    "the folder is read-only for aafd: under systemd, it must be one the unit may write (the shipped "
                        + "units allow /var/lib/aafd-ent; another folder needs ReadWritePaths= in a drop-in)"
                case EACCES:
                    "aafd's user may not write in the folder: it must own it (install -d -m 2750 -o aafd -g GROUP)"
                case ENOENT: "the folder does not exist: install -d -m 2750 -o aafd -g GROUP \(folder)"
                default: "check [ent] published_copy"
                }
            throw StoreError("cannot create \(temporary) (errno \(code)): \(why)")
        }
        close(created)
        try connection.prepare("ATTACH DATABASE ?1 AS pub").run([.text(temporary)])
        do {
            try connection.execute("PRAGMA pub.journal_mode = DELETE; PRAGMA pub.page_size = 16384")
            try connection.execute("BEGIN")
            for object in schema where object.type == "table" && tables.contains(object.name) {
                try connection.execute(Self.qualified(object.sql, object.type, object.name))
            }
            for (table, rows) in Self.publishedTables {
                try connection.execute("INSERT INTO pub.\(table) SELECT * FROM main.\(table) WHERE \(rows)")
            }
            for object in schema
            where (object.type == "index" && tables.contains(object.table)) || object.type == "view" {
                try connection.execute(Self.qualified(object.sql, object.type, object.name))
            }
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            try? connection.execute("DETACH DATABASE pub")
            unlink(temporary)
            throw error
        }
        try connection.execute("DETACH DATABASE pub")
        let fd = open(temporary, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError("cannot reopen \(temporary) (errno \(errno))") }
        defer { close(fd) }
        // A setgid folder of the reader group gives the copy its group without aafd changing it: the only way under
        // the shipped units, whose sandbox denies fchown (~@privileged) and maps no other group (PrivateUsers=yes:
        // the group then shows as the overflow gid, the same for the folder and the file). check-config, outside
        // the sandbox, checks that the folder's group is reader_group.
        var copyInfo = stat()
        var folderInfo = stat()
        let overflowGroup: gid_t = 65534  // /proc/sys/kernel/overflowgid: a group the user namespace does not map
        let inherited =
            fstat(fd, &copyInfo) == 0 && stat(folder, &folderInfo) == 0 && folderInfo.st_mode & S_ISGID != 0
            && copyInfo.st_gid == folderInfo.st_gid
            && (folderInfo.st_gid == group || folderInfo.st_gid == overflowGroup)
        if let group, !inherited, copyInfo.st_gid != group {
            guard fchown(fd, geteuid(), group) == 0 else {
                let code = errno
                unlink(temporary)
                let why =
                    code == EPERM || code == EINVAL
                    ? "this process may not change a file's group (a systemd sandbox: ~@privileged, PrivateUsers; or "
                        + "aafd's user is not in that group)"
                    : "errno \(code)"
                throw StoreError(
                    "cannot give the ENT's copy to group \(group) (errno \(code)): \(why). Fix: make its folder the "
                        + "group's and setgid, so files take the group by themselves: chgrp \(group) \(folder) && "
                        + "chmod 2750 \(folder)"
                )
            }
        }
        fchmod(fd, group == nil ? 0o600 : 0o640)
        fsync(fd)
        // The copy being replaced: opened before the rename, erased after it (R12), whoever still reads it.
        let old = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
        defer { if old >= 0 { close(old) } }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw StoreError("cannot publish \(path) (errno \(code))")
        }
        _ = FileDescriptor.syncFolder(of: path)
        if old >= 0 { try Self.erase(old, path: path) }
        try connection.prepare(
            "INSERT INTO directory_state (key, value) VALUES ('published_cursor', ?1) ON CONFLICT (key) DO UPDATE SET value = ?1"
        ).run([.text(state)])
        return true
    }

    /// The name the copy is written under before it replaces the published one (a hidden `.NAME.new` beside it): what
    /// a decommission must erase too if a publication was cut.
    public static func temporaryCopyPath(for path: String) -> String {
        (PathTrust.folder(of: path) as NSString).appendingPathComponent(".\((path as NSString).lastPathComponent).new")
    }

    /// Overwrites an open file with zeros, makes that durable, and truncates it.
    static func erase(_ fd: Int32, path: String) throws {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_uid == geteuid() else { return }
        if let code = FileDescriptor.zeroFill(fd, size: Int(info.st_size)) {
            throw StoreError("cannot erase the replaced copy of \(path) (errno \(code))")
        }
        ftruncate(fd, 0)
        fsync(fd)
    }

    /// `CREATE TABLE x` → `CREATE TABLE pub.x` (the statements as SQLite stored them).
    static func qualified(_ sql: String, _ type: String, _ name: String) -> String {
        let keyword = type == "table" ? "TABLE" : (type == "view" ? "VIEW" : "INDEX")
        var result = sql
        for prefix in ["CREATE \(keyword) ", "CREATE UNIQUE \(keyword) "] where result.hasPrefix(prefix) {
            result = prefix + "pub." + result.dropFirst(prefix.count)
        }
        return result
    }
}
