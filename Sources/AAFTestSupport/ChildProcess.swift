import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn` and reaped with `waitpid` on its own pid.
///
/// Foundation's `Process` monitors all children from one shared thread and can deadlock when tests start many
/// processes at once, one of them long-lived (sshd); this wrapper has no shared state.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked Sendable: `status` is written once by `wait()`; the owning test calls it from one place.
    public let pid: pid_t
    private var status: Int32?

    /// Starts `path` with `arguments`; standard input is /dev/null; output goes to the given descriptors
    /// (-1: /dev/null).
    public init(_ path: String, _ arguments: [String], environment: [String: String]? = nil, stdout: Int32 = -1, stderr: Int32 = -1) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if stdout >= 0 { posix_spawn_file_actions_adddup2(&actions, stdout, 1) } else { posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0) }
        if stderr >= 0 { posix_spawn_file_actions_adddup2(&actions, stderr, 2) } else { posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0) }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { env.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, env)
        guard rc == 0 else { throw SSHServerError("cannot start \(path) (error \(rc))") }
        self.pid = pid
    }

    /// Waits for the child; returns its exit status (128 + signal when killed).
    @discardableResult
    public func wait() -> Int32 {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let code: Int32 = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
        status = code
        return code
    }

    /// Whether the child has exited (reaps it if so).
    public var isRunning: Bool {
        if status != nil { return false }
        var raw: Int32 = 0
        let r = waitpid(pid, &raw, WNOHANG)
        if r == pid {
            status = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
            return false
        }
        return true
    }

    public func signal(_ signal: Int32) { kill(pid, signal) }

    /// Runs a program to completion, collecting its output.
    public static func run(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw SSHServerError("pipe failed") }
        let child: ChildProcess
        do {
            child = try ChildProcess(path, arguments, environment: environment, stdout: outPipe[1], stderr: errPipe[1])
        } catch {
            outPipe.forEach { close($0) }
            errPipe.forEach { close($0) }
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
        return ProcessResult(status: status, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    private static func readAll(_ fd: Int32) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { data.append(contentsOf: buffer[0..<n]) } else if n < 0 && errno == EINTR { continue } else { break }
        }
        return data
    }
}
