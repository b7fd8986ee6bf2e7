#if canImport(Glibc)
import Glibc
#endif

/// The system calls on descriptors that aafd repeats, each written once, in the manner of swift-system and NIO's
/// `syscall(blocking:)`: EINTR retried, short transfers completed, the errno returned for the caller's own error.
public enum FileDescriptor {
    /// Writes every byte (short writes and EINTR handled). - Returns: nil, or the errno of the failure.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return n < 0 ? errno : EIO }
            done += n
        }
        return nil
    }

    /// Writes every byte. - Returns: whether it did (errno says why not).
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { writeAll(fd, $0) } == nil
    }

    /// Reads at most `buffer.count` bytes, EINTR retried. - Returns: the count (0 at end of file), or -1 (errno).
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n < 0 && errno == EINTR { continue }
            return n
        }
    }

    /// Overwrites the first `size` bytes of an open file with zeros and syncs them (R12): neither a reader that kept
    /// it open nor a later read of the freed blocks finds the old values. - Returns: nil, or the errno.
    public static func zeroFill(_ fd: Int32, size: Int) -> Int32? {
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        var done = 0
        while done < size {
            let n = zeros.withUnsafeBytes { pwrite(fd, $0.baseAddress, min($0.count, size - done), off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return n < 0 ? errno : EIO }
            done += n
        }
        return fsync(fd) == 0 ? nil : errno
    }

    /// Syncs the folder holding `path`, so that a rename or an unlink in it is durable. - Returns: nil, or the errno.
    public static func syncFolder(of path: String) -> Int32? {
        let folder = open(PathTrust.folder(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else { return errno }
        defer { close(folder) }
        return fsync(folder) == 0 ? nil : errno
    }
}

/// A file written whole under a temporary name beside its final one, then synced and renamed over it (the folder
/// synced too): a reader, a crash or a full disk never leaves half of it under its name. The temporary is created
/// 0600 with `O_EXCL | O_NOFOLLOW` (a link planted under its name is never followed) and given `mode` before the
/// rename. The one atomic replace of aafd: the spool's files and manifests, the refusal markers, metrics, exports.
public final class AtomicFile {
    /// Why a file could not be written: the step and errno.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var step: String
        public var errno: Int32
        public var description: String { "cannot \(step) (errno \(errno))" }
    }

    public let path: String
    public let temporary: String
    public let fd: Int32
    private var open = true

    /// Creates the temporary file: `temporary`, or the final name with `suffix` after it (a stale one is removed
    /// first when `replaceStale`).
    public init(
        _ path: String,
        suffix: String = ".tmp",
        temporary: String? = nil,
        replaceStale: Bool = true
    ) throws(Failure) {
        self.path = path
        self.temporary = temporary ?? path + suffix
        let temporary = self.temporary
        if replaceStale { unlink(temporary) }
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw Failure(step: "create \(temporary)", errno: errno) }
        self.fd = fd
    }

    deinit { abandon() }

    /// Appends `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(Failure) {
        if let code = FileDescriptor.writeAll(fd, bytes) { throw Failure(step: "write \(temporary)", errno: code) }
    }

    /// Syncs the file, gives it `mode`, renames it over the final name and syncs the folder (when `syncFolder`).
    public func commit(mode: mode_t = 0o600, syncFolder: Bool = true) throws(Failure) {
        guard fchmod(fd, mode) == 0, fsync(fd) == 0 else { throw fail("sync \(temporary)") }
        close(fd)
        open = false
        guard rename(temporary, path) == 0 else { throw fail("rename \(temporary) to \(path)") }
        if syncFolder, let code = FileDescriptor.syncFolder(of: path) {
            throw Failure(step: "sync the folder of \(path)", errno: code)
        }
    }

    /// After a failure: nothing left under either name.
    public func abandon() {
        guard open else { return }
        close(fd)
        open = false
        unlink(temporary)
    }

    private func fail(_ step: String) -> Failure {
        let code = errno
        abandon()
        unlink(temporary)
        return Failure(step: step, errno: code)
    }

    /// Replaces `path` with `bytes`, all or nothing.
    public static func replace(
        _ path: String,
        with bytes: [UInt8],
        mode: mode_t = 0o600,
        syncFolder: Bool = true
    ) throws(Failure) {
        let file = try AtomicFile(path)
        if let code = bytes.withUnsafeBytes({ FileDescriptor.writeAll(file.fd, $0) }) {
            file.abandon()
            throw Failure(step: "write \(file.temporary)", errno: code)
        }
        try file.commit(mode: mode, syncFolder: syncFolder)
    }
}
