@_exported import AAFFileSystem
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension ChildProcess {
    /// Runs a program to completion, collecting its output; `timeout` seconds at most.
    ///
    /// Both pipes are close-on-exec in this process, so that no other test's child, started at the same moment
    /// (a server, a tmux server that lives on), inherits their write ends and holds them open. The output is read
    /// until both pipes end or the deadline passes: then the program is killed, and its standard error says so.
    public static func run(
        _ path: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        timeout: Double = 300
    ) throws -> ProcessResult {
        let out = try closeOnExecPipe()
        let err: (read: Int32, write: Int32)
        do { err = try closeOnExecPipe() } catch {
            close(out.read)
            close(out.write)
            throw error
        }
        let child: ChildProcess
        do {
            child = try ChildProcess(path, arguments, environment: environment, stdout: out.write, stderr: err.write)
        } catch {
            for fd in [out.read, out.write, err.read, err.write] { close(fd) }
            throw error
        }
        close(out.write)
        close(err.write)
        defer {
            close(out.read)
            close(err.read)
        }
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        let (outData, errData, ended) = readBoth(out.read, err.read, until: deadline)
        let status: Int32?
        if ended {
            status = child.wait(timeout: max(0.1, (deadline - ContinuousClock.now) / .seconds(1)))
        } else {
            child.signal(SIGKILL)
            child.wait()
            status = nil
        }
        var stderr = String(decoding: errData, as: UTF8.self)
        if status == nil { stderr += "\n[test support: \(path) killed after \(Int(timeout)) s]\n" }
        return ProcessResult(status: status ?? 137, stdout: String(decoding: outData, as: UTF8.self), stderr: stderr)
    }

    /// A pipe whose two ends are close-on-exec from the start (pipe2; glibc declares it only under _GNU_SOURCE, so it
    /// is looked up like `addCloseFrom`). posix_spawn's dup2 onto 1 and 2 gives the child its copies without the flag.
    public static func closeOnExecPipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        let rc = fds.withUnsafeMutableBufferPointer { buffer in
            pipe2Function.map { $0(buffer.baseAddress, O_CLOEXEC) } ?? -1
        }
        guard rc == 0 else { throw SSHServerError("pipe2 failed (errno \(errno))") }
        return (fds[0], fds[1])
    }

    private static let pipe2Function: (@convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32).self)
    }()

    /// Reads two pipes together (so that a chatty child never blocks on either) until both end or the deadline;
    /// `ended`: both reached their end.
    private static func readBoth(
        _ first: Int32,
        _ second: Int32,
        until deadline: ContinuousClock.Instant
    ) -> (Data, Data, ended: Bool) {
        var data = [Data(), Data()]
        var open = [true, true]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while open.contains(true) {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return (data[0], data[1], false) }
            var fds = [first, second].enumerated().map { index, fd in
                pollfd(fd: open[index] ? fd : -1, events: Int16(POLLIN), revents: 0)
            }
            let milliseconds = Int32(min(1000, max(1, left / .milliseconds(1))))
            let ready = poll(&fds, 2, milliseconds)
            if ready < 0 && errno != EINTR { return (data[0], data[1], false) }
            for index in 0..<2 where open[index] && fds[index].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(fds[index].fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    data[index].append(contentsOf: buffer[0..<n])
                } else if n == 0 || errno != EINTR && errno != EAGAIN {
                    open[index] = false
                }
            }
        }
        return (data[0], data[1], true)
    }
}
