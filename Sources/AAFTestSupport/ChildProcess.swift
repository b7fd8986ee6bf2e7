@_exported import AAFFileSystem
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension ChildProcess {
    /// Runs a program to completion, collecting its output.
    public static func run(
        _ path: String,
        _ arguments: [String],
        environment: [String: String]? = nil
    ) throws -> ProcessResult {
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw SSHServerError("pipe failed") }
        let child: ChildProcess
        do {
            child = try ChildProcess(path, arguments, environment: environment, stdout: outPipe[1], stderr: errPipe[1])
        } catch {
            for fd in outPipe + errPipe { close(fd) }
            throw error
        }
        close(outPipe[1])
        close(errPipe[1])
        // Read both pipes concurrently so that a chatty child never blocks.
        nonisolated(unsafe) var errData = Data()
        let errFD = errPipe[0]
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            errData = readAll(errFD)
            done.signal()
        }
        thread.start()
        let outData = readAll(outPipe[0])
        done.wait()
        close(outPipe[0])
        close(errPipe[0])
        let status = child.wait()
        return ProcessResult(
            status: status,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self)
        )
    }

    private static func readAll(_ fd: Int32) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                data.append(contentsOf: buffer[0..<n])
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        return data
    }
}
