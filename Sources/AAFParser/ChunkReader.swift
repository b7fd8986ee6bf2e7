#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file sequentially in chunks with `open(2)`/`read(2)`, refusing anything but a regular file.
final class ChunkReader {
    private let fd: Int32
    private let fileName: String

    /// Opens `path` read-only, without following a final symbolic link, and without blocking: a FIFO planted
    /// under a delivery file's name would otherwise block `open` until a writer comes, ignoring SIGTERM and
    /// holding the lock (ADR 0008). The type is checked on the descriptor, then reads block as usual.
    init(path: String, fileName: String) throws {
        self.fileName = fileName
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else {
            throw ParseError(
                code: .io,
                file: fileName,
                line: 0,
                column: 0,
                message: "cannot open the file (errno \(errno))"
            )
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw ParseError(
                code: .io,
                file: fileName,
                line: 0,
                column: 0,
                message: "not a regular file (a FIFO, a device or a folder); refused"
            )
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        self.fd = fd
    }

    deinit { close(fd) }

    /// Fills `buffer` from the start; returns the number of bytes read, 0 at end of file.
    func read(into buffer: inout [UInt8]) throws -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw ParseError(code: .io, file: fileName, line: 0, column: 0, message: "read failed (errno \(errno))")
        }
    }
}
