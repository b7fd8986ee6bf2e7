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

    /// The folders inside `path` as the server shows them (names only, at most `limit`), for `aafd setup` to offer
    /// a `remote_dir` that exists: under a chroot, `/` is the chroot.
    public func folders(in path: String, limit: Int = 50) throws -> [String] {
        let sftp = try channel()
        guard let dir = guarded({ sftp_opendir(sftp, path) }) else {
            throw remoteError("cannot open the remote folder \(path)")
        }
        defer { _ = guarded { sftp_closedir(dir) } }
        var names: [String] = []
        while names.count < limit, let attributes = guarded({ sftp_readdir(sftp, dir) }) {
            defer { sftp_attributes_free(attributes) }
            guard let cName = attributes.pointee.name else { continue }
            let name = String(cString: cName)
            if name == "." || name == ".." || name.hasPrefix(".") { continue }
            if SFTPClient.type(of: attributes.pointee) == UInt8(SSH_FILEXFER_TYPE_DIRECTORY) { names.append(name) }
        }
        return names.sorted()
    }

    /// Whether `path` is a folder on the server (`sftp_stat` follows links, as opening it would).
    public func isFolder(_ path: String) -> Bool {
        guard let sftp = try? channel(), let attributes = guarded({ sftp_stat(sftp, path) }) else { return false }
        defer { sftp_attributes_free(attributes) }
        return SFTPClient.type(of: attributes.pointee) == UInt8(SSH_FILEXFER_TYPE_DIRECTORY)
    }

    /// The folder the login lands in (`realpath` of `.`), nil when the server does not say.
    public func loginFolder() -> String? {
        guard let sftp = try? channel(), let c = guarded({ sftp_canonicalize_path(sftp, ".") }) else { return nil }
        defer { ssh_string_free_char(c) }
        return String(cString: c)
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

    /// Bytes per read request, and how many are in flight: requests are pipelined, as OpenSSH's sftp does.
    ///
    /// A server MAY answer a read with fewer bytes than asked without being at the end of the file
    /// (draft-ietf-secsh-filexfer-02 §6.4), and many cap replies at 32 KiB, the size every implementation must
    /// accept. So: 32 KiB unless the server says it is OpenSSH-like (`limits@openssh.com`, whose servers answer
    /// 64 KiB reads whole); libssh 0.10 cannot read that extension's values (`sftp_limits` came with 0.11), so a
    /// server that answers less anyway is met by the re-requests below, and later requests shrink to what it
    /// answers (never under 32 KiB, the size that needs no negotiation).
    static let smallRequest = 32_768
    static let largeRequest = 65_536
    static let requestsInFlight = 16
    /// Bytes that arrived past a hole and wait for it to be filled, before the pipeline stops asking for more.
    static let maxWaitingBytes = 2 << 20

    /// One read in flight: the range it asked for, and libssh's id of it.
    struct ReadRequest {
        var offset: Int
        var length: Int
        var id: UInt32
    }

    /// Streams remote file `name` into `sink`, which is called with each block in order, each byte exactly once.
    ///
    /// Every request names its offset (`sftp_seek64` before each `sftp_async_read_begin`: libssh 0.10 moves its
    /// own offset by the whole request, and back by a short reply's shortfall, which would shift what follows).
    /// Replies are read in the order they were asked for (libssh reads the channel before it looks in its queue,
    /// so a reply read out of turn would leave it waiting for a packet that never comes). A short reply is
    /// followed by a request for exactly the missing range, at the end of the pipeline; the blocks that arrive
    /// meanwhile wait in memory (bounded: what is in flight) until the hole is filled, so the sink sees the file
    /// in order. The end of the file is an EOF reply at the announced size, never a short reply; data past that
    /// size, or an EOF before it, is an error.
    ///
    /// - Returns: the number of bytes read.
    /// - Throws: ``TransferError`` `.transfer` when the transfer is cut, makes no progress for
    ///   `io_timeout_seconds` (a watchdog shuts the socket down), or the server sends other than the announced
    ///   size; `.remote` when the file cannot be opened.
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

        var chunk =
            sftp_extension_supported(sftp, "limits@openssh.com", "1") == 1
            ? SFTPClient.largeRequest : SFTPClient.smallRequest
        var buffer = [UInt8](repeating: 0, count: SFTPClient.largeRequest)
        var queue: [ReadRequest] = []
        queue.reserveCapacity(SFTPClient.requestsInFlight * 2)
        var head = 0
        var nextOffset = 0
        var probed = false
        var sawEnd = false
        // What the sink has had, and what arrived past a hole: offset → bytes (at most what is in flight).
        var delivered = 0
        var waiting: [Int: [UInt8]] = [:]
        var waitingBytes = 0

        func issue(_ offset: Int, _ length: Int) throws {
            guard sftp_seek64(file, UInt64(offset)) == 0 else {
                throw TransferError(.transfer, "reading \(name) failed: \(lastError())")
            }
            let id = sftp_async_read_begin(file, UInt32(length))
            guard id >= 0 else { throw TransferError(.transfer, "reading \(name) failed: \(lastError())") }
            queue.append(ReadRequest(offset: offset, length: length, id: UInt32(id)))
        }
        func refill() throws {
            while queue.count - head < SFTPClient.requestsInFlight, waitingBytes < SFTPClient.maxWaitingBytes {
                if nextOffset < expectedSize {
                    let length = min(chunk, expectedSize - nextOffset)
                    try issue(nextOffset, length)
                    nextOffset += length
                } else if !probed {
                    // One read at the announced size: its EOF says the file ends there.
                    try issue(expectedSize, SFTPClient.smallRequest)
                    probed = true
                } else {
                    return
                }
            }
        }

        try refill()
        while head < queue.count {
            let request = queue[head]
            head += 1
            let n = buffer.withUnsafeMutableBytes {
                sftp_async_read(file, $0.baseAddress, UInt32(request.length), request.id)
            }
            if n < 0 {
                let why =
                    watchdog.fired ? "no data for \(settings.ioTimeoutSeconds) s (io_timeout_seconds)" : lastError()
                throw TransferError(.transfer, "the transfer of \(name) was cut after \(delivered) bytes: \(why)")
            }
            watchdog.progress()
            if request.offset >= expectedSize {
                guard n == 0 else {
                    throw TransferError(
                        .transfer,
                        "\(name): the server sent data past the \(expectedSize) bytes it announced (the file changed "
                            + "while it was read?); not kept"
                    )
                }
                sawEnd = true
                // libssh then answers every later read "end of file" without reading it: a hole may still be due.
                _ = sftp_seek64(file, UInt64(expectedSize))
                continue
            }
            guard n > 0 else {
                throw TransferError(
                    .transfer,
                    "\(name): the server said end of file at byte \(request.offset), it had announced "
                        + "\(expectedSize); not kept"
                )
            }
            let count = Int(n)
            if count < request.length {
                // A short reply: the rest of this range, asked for at the end of the pipeline.
                try issue(request.offset + count, request.length - count)
                chunk = max(min(chunk, count), SFTPClient.smallRequest)
            }
            if request.offset == delivered {
                try buffer.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                delivered += count
                while let next = waiting.removeValue(forKey: delivered) {
                    try next.withUnsafeBytes { try sink($0) }
                    delivered += next.count
                    waitingBytes -= next.count
                }
            } else {
                waiting[request.offset] = Array(buffer[0..<count])
                waitingBytes += count
            }
            if head > 64 {
                queue.removeFirst(head)
                head = 0
            }
            try refill()
        }
        guard sawEnd, delivered == expectedSize, waiting.isEmpty else {
            throw TransferError(
                .transfer,
                "\(name): received \(delivered) bytes, the server announced \(expectedSize); not kept"
            )
        }
        return delivered
    }
}
