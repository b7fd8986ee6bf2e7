import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A program that could not be started.
public struct SpawnError: Error, CustomStringConvertible {
    public var path: String
    public var code: Int32
    public var description: String { "cannot start \(path) (error \(code))" }
}

/// A child process started with `posix_spawn` and reaped with `waitpid` on its own pid.
///
/// Foundation's `Process` monitors all children from one shared thread and can deadlock when tests start many
/// processes at once, one of them long-lived (sshd); this wrapper has no shared state. aafd runs the alert command
/// with it; the tests run servers and the aafd binary with it.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked Sendable: `status` is written once by `wait()`; the owner calls it from one place.
    public let pid: pid_t
    private var status: Int32?

    /// Starts `path` with `arguments`; standard input is /dev/null; output goes to the given descriptors
    /// (-1: /dev/null). `isolated`: the child also gets no descriptor but 0–2 and a session of its own (no
    /// controlling terminal) — for a command an administrator configured (alert, hook), which must inherit
    /// nothing root or aafd held (issue 20).
    public init(
        _ path: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        stdout: Int32 = -1,
        stderr: Int32 = -1,
        isolated: Bool = false
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if stdout >= 0 {
            posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        if stderr >= 0 {
            posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        if isolated {
            // Every descriptor from 3 up closed in the child (glibc 2.34), and a session of its own.
            // POSIX_SPAWN_SETSID (glibc 2.26) is 0x80, declared only under _GNU_SOURCE, which Swift's Glibc lacks.
            var rc = ChildProcess.addCloseFrom.map { $0(&actions, 3) } ?? ENOSYS
            if rc == 0 { rc = posix_spawnattr_setflags(&attributes, Int16(0x80)) }
            guard rc == 0 else { throw SpawnError(path: path, code: rc) }
        }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + env { free(pointer) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attributes, argv, env)
        guard rc == 0 else { throw SpawnError(path: path, code: rc) }
        self.pid = pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34, Debian 12 has 2.36), looked up once: Swift's Glibc
    /// module does not declare it, and a C shim that defines `_GNU_SOURCE` to get it redefines `fd_set` against the
    /// other modules. Missing (an older glibc): an isolated child is refused, never started with inherited descriptors.
    static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        else { return nil }
        return unsafeBitCast(
            symbol,
            to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32).self
        )
    }()

    /// Waits for the child; returns its exit status (128 + signal when killed).
    @discardableResult
    public func wait() -> Int32 {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let code = ChildProcess.exitCode(raw)
        status = code
        return code
    }

    /// Waits at most `timeout` seconds, then kills the child (SIGKILL) and reaps it.
    /// - Returns: the exit status, or nil when the child had to be killed.
    public func wait(timeout: Double) -> Int32? {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while isRunning {
            if ContinuousClock.now > deadline {
                signal(SIGKILL)
                wait()
                return nil
            }
            usleep(20_000)
        }
        return status
    }

    /// waitpid's status as a shell reports it: the exit code, or 128 + the signal that ended the child.
    static func exitCode(_ raw: Int32) -> Int32 {
        (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
    }

    /// Whether the child has exited (reaps it if so).
    public var isRunning: Bool {
        if status != nil { return false }
        var raw: Int32 = 0
        let r = waitpid(pid, &raw, WNOHANG)
        if r == pid {
            status = ChildProcess.exitCode(raw)
            return false
        }
        return true
    }

    public func signal(_ signal: Int32) { kill(pid, signal) }
}
