import AAFFileSystem

#if canImport(Glibc)
import Glibc
#endif

/// Reads a file sequentially in chunks with `open(2)`/`read(2)`, refusing anything but a regular file.
final class ChunkReader {
    private let fd: Int32
    private let fileName: String

    /// Opens `path` as a ``RegularFile``: never a FIFO, a device, a folder or a link.
    init(path: String, fileName: String) throws {
        self.fileName = fileName
        do {
            fd = try RegularFile.open(path).fd
        } catch .cannotOpen(let code) {
            throw ParseError(
                code: .io,
                file: fileName,
                line: 0,
                column: 0,
                message: "cannot open the file (errno \(code))"
            )
        } catch {
            throw ParseError(
                code: .io,
                file: fileName,
                line: 0,
                column: 0,
                message: "not a regular file (a FIFO, a device or a folder); refused"
            )
        }
    }

    deinit { close(fd) }

    /// Fills `buffer` from the start; returns the number of bytes read, 0 at end of file.
    func read(into buffer: inout [UInt8]) throws -> Int {
        let n = buffer.withUnsafeMutableBytes { FileDescriptor.read(fd, into: $0) }
        guard n >= 0 else {
            throw ParseError(code: .io, file: fileName, line: 0, column: 0, message: "read failed (errno \(errno))")
        }
        return n
    }
}
