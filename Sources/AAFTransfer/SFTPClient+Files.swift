internal import CLibSSH
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

// The remote folder (listing, links, sizes, deletions) and durable downloads.
extension SFTPClient {
    // MARK: Remote folder

    /// The remote folder's entries (not `.` and `..`), resolved: what the listing does not say (SFTP v3 lets a
    /// server omit permissions, hence the type) is asked with `stat`; a symbolic link is taken only when it
    /// resolves, on the server, to a regular file inside `remote_dir` (never followed out of it).
    ///
    /// - Parameter resolve: whether an entry needs resolving at all (the fetcher asks only for names that look
    ///   like delivery files).
    public func list(resolving resolve: (String) -> Bool = { _ in true }) throws -> [RemoteEntry] {
        let sftp = try channel()
        guard let dir = guarded({ sftp_opendir(sftp, settings.remoteDirectory) }) else {
            throw remoteError("cannot open the remote folder \(settings.remoteDirectory)")
        }
        var listed: [(name: String, size: Int, type: UInt8, hasSize: Bool)] = []
        while let attributes = guarded({ sftp_readdir(sftp, dir) }) {
            defer { sftp_attributes_free(attributes) }
            guard let cName = attributes.pointee.name else { continue }
            let name = String(cString: cName)
            if name == "." || name == ".." { continue }
            let a = attributes.pointee
            listed.append((name, Int(a.size), SFTPClient.type(of: a), a.flags & UInt32(SSH_FILEXFER_ATTR_SIZE) != 0))
        }
        let complete = sftp_dir_eof(dir) == 1
        _ = guarded { sftp_closedir(dir) }
        guard complete else {
            throw TransferError(.transfer, "listing \(settings.remoteDirectory) was cut: \(lastError())")
        }
        var folder: String?
        func link(_ name: String) throws -> RemoteEntry {
            if folder == nil { folder = try canonicalFolder() }
            return try resolveLink(name, inside: folder!)
        }
        let regular = UInt8(SSH_FILEXFER_TYPE_REGULAR)
        let unknown = UInt8(SSH_FILEXFER_TYPE_UNKNOWN)
        return try listed.map { entry in
            guard resolve(entry.name) else {
                return RemoteEntry(
                    name: entry.name,
                    size: entry.size,
                    kind: entry.type == regular ? .file : .notTaken(SFTPClient.typeName(entry.type))
                )
            }
            var (type, size) = (entry.type, entry.size)
            if type == unknown || (type == regular && !entry.hasSize) {
                // No type or no size in the listing: ask.
                guard let attributes = guarded({ sftp_lstat(sftp, remotePath(entry.name)) }) else {
                    return RemoteEntry(
                        name: entry.name,
                        size: 0,
                        kind: .notTaken("cannot stat it: \(remoteError("stat").message)")
                    )
                }
                defer { sftp_attributes_free(attributes) }
                (type, size) = (SFTPClient.type(of: attributes.pointee), Int(attributes.pointee.size))
            }
            switch type {
            case regular: return RemoteEntry(name: entry.name, size: size, kind: .file)
            case unknown: return RemoteEntry(name: entry.name, size: size, kind: .untypedFile)  // not even `lstat` says
            case UInt8(SSH_FILEXFER_TYPE_SYMLINK): return try link(entry.name)
            default: return RemoteEntry(name: entry.name, size: 0, kind: .notTaken(SFTPClient.typeName(type)))
            }
        }
    }

    /// The file type of SFTP attributes; SFTP v3 derives it from the permissions, which a server may omit.
    private static func type(of a: sftp_attributes_struct) -> UInt8 {
        a.flags & UInt32(SSH_FILEXFER_ATTR_PERMISSIONS) != 0 ? a.type : UInt8(SSH_FILEXFER_TYPE_UNKNOWN)
    }

    /// `remote_dir` as the server resolves it (`realpath`), without a trailing slash.
    func canonicalFolder() throws -> String {
        let sftp = try channel()
        guard let c = guarded({ sftp_canonicalize_path(sftp, settings.remoteDirectory) }) else {
            throw remoteError("cannot resolve the remote folder \(settings.remoteDirectory)")
        }
        defer { ssh_string_free_char(c) }
        let path = String(cString: c)
        return path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// A symbolic link: taken when the server resolves it to a regular file inside `folder`.
    func resolveLink(_ name: String, inside folder: String) throws -> RemoteEntry {
        let sftp = try channel()
        guard let c = guarded({ sftp_canonicalize_path(sftp, remotePath(name)) }) else {
            return RemoteEntry(name: name, size: 0, kind: .notTaken("a symbolic link the server cannot resolve"))
        }
        let target = String(cString: c)
        ssh_string_free_char(c)
        let prefix = folder == "/" ? "/" : folder + "/"
        guard target.hasPrefix(prefix), !target.dropFirst(prefix.count).isEmpty else {
            return RemoteEntry(
                name: name,
                size: 0,
                kind: .notTaken("a symbolic link leading out of remote_dir; not followed")
            )
        }
        guard let attributes = guarded({ sftp_stat(sftp, target) }) else {
            return RemoteEntry(name: name, size: 0, kind: .notTaken("a symbolic link to nothing"))
        }
        defer { sftp_attributes_free(attributes) }
        let type = SFTPClient.type(of: attributes.pointee)
        guard type == UInt8(SSH_FILEXFER_TYPE_UNKNOWN) || type == UInt8(SSH_FILEXFER_TYPE_REGULAR) else {
            return RemoteEntry(name: name, size: 0, kind: .notTaken("a symbolic link to \(SFTPClient.typeName(type))"))
        }
        return RemoteEntry(name: name, size: Int(attributes.pointee.size), kind: .linkedFile)
    }

    private static func typeName(_ type: UInt8) -> String {
        switch type {
        case UInt8(SSH_FILEXFER_TYPE_DIRECTORY): "a folder"
        case UInt8(SSH_FILEXFER_TYPE_SYMLINK): "a symbolic link"
        case UInt8(SSH_FILEXFER_TYPE_SPECIAL): "a special file (device, FIFO or socket)"
        case UInt8(SSH_FILEXFER_TYPE_REGULAR): "a regular file"
        default: "of an unknown type"
        }
    }

    /// The size of one remote file, from `sftp_stat`.
    public func size(of name: String) throws -> Int {
        let sftp = try channel()
        guard let attributes = guarded({ sftp_stat(sftp, remotePath(name)) }) else {
            throw remoteError("cannot stat \(name)")
        }
        defer { sftp_attributes_free(attributes) }
        return Int(attributes.pointee.size)
    }

    /// What became of a remote deletion.
    public enum Removal: Sendable, Hashable {
        case removed
        /// The file was no longer there (someone else deleted it): nothing is owed.
        case alreadyGone
        /// The server refused, or the request failed: the deletion is still owed (R10). The text names the
        /// server's SFTP status.
        case refused(String)
    }

    /// Deletes one remote file (`sftp_unlink`). Throws only when the connection is gone.
    public func remove(_ name: String) throws -> Removal {
        let sftp = try channel()
        if guarded({ sftp_unlink(sftp, remotePath(name)) }) == 0 { return .removed }
        if watchdog?.fired == true || ssh_is_connected(session) == 0 {
            throw TransferError(.transfer, "the connection was lost while deleting \(name) on the server")
        }
        switch sftp_get_error(sftp) {
        case SSH_FX_NO_SUCH_FILE: return .alreadyGone
        case SSH_FX_PERMISSION_DENIED: return .refused("permission denied (SFTP status 3)")
        case let status: return .refused("\(lastError()) (SFTP status \(status))")
        }
    }

    // MARK: Download

    /// Bytes requested per read and how many reads are in flight: requests are pipelined, as OpenSSH's sftp does.
    static let requestSize: UInt32 = 65_536
    static let requestsInFlight = 16

    /// Streams remote file `name` into `sink`, which is called with each block in order.
    ///
    /// - Returns: the number of bytes read.
    /// - Throws: ``TransferError`` `.transfer` when the transfer is cut or makes no progress for
    ///   `io_timeout_seconds` (a watchdog shuts the socket down), `.remote` when the file cannot be opened.
    public func download(
        _ name: String,
        expectedSize: Int,
        into sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int {
        let sftp = try channel()
        guard let watchdog else { throw TransferError(.transfer, "connection closed") }
        guard let file = guarded({ sftp_open(sftp, remotePath(name), O_RDONLY, 0) }) else {
            throw remoteError("cannot open \(name) on the server")
        }
        defer { _ = guarded { sftp_close(file) } }
        watchdog.arm()
        defer { watchdog.disarm() }

        var buffer = [UInt8](repeating: 0, count: Int(SFTPClient.requestSize))
        var pending: [UInt32] = []
        pending.reserveCapacity(SFTPClient.requestsInFlight)
        var head = 0
        var requested = 0
        var total = 0
        var reachedEnd = false
        // Ask for one block past the expected size, so that end of file is seen.
        let limit = expectedSize + Int(SFTPClient.requestSize)

        func refill() throws {
            while pending.count - head < SFTPClient.requestsInFlight, requested < limit, !reachedEnd {
                let id = sftp_async_read_begin(file, SFTPClient.requestSize)
                guard id >= 0 else { throw TransferError(.transfer, "reading \(name) failed: \(lastError())") }
                pending.append(UInt32(id))
                requested += Int(SFTPClient.requestSize)
            }
        }

        try refill()
        while head < pending.count {
            let id = pending[head]
            head += 1
            let n = buffer.withUnsafeMutableBytes { sftp_async_read(file, $0.baseAddress, SFTPClient.requestSize, id) }
            if n < 0 {
                let why =
                    watchdog.fired ? "no data for \(settings.ioTimeoutSeconds) s (io_timeout_seconds)" : lastError()
                throw TransferError(.transfer, "the transfer of \(name) was cut after \(total) bytes: \(why)")
            }
            if n == 0 {
                reachedEnd = true
                continue  // drain the requests still in flight: each answers end of file
            }
            watchdog.progress()
            total += Int(n)
            try buffer.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<Int(n)])) }
            if head > 64 {
                pending.removeFirst(head)
                head = 0
            }
            try refill()
        }
        guard total == expectedSize else {
            throw TransferError(
                .transfer,
                "\(name): received \(total) bytes, the server announced \(expectedSize); not kept"
            )
        }
        return total
    }
}
