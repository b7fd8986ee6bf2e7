import AAFFileSystem
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs `/bin/sh -c command` in a clean environment, stdin from /dev/null, stdout and stderr to aafd's stderr, and a
/// time limit.
/// A ``ChildProcess``: posix_spawn and waitpid on the child's own pid, no shared child-monitoring thread.
enum Spawn {
    /// What the command inherits from aafd's environment: nothing else. In particular not `CREDENTIALS_DIRECTORY`
    /// (the key's passphrase), `NOTIFY_SOCKET` (it could tell systemd the service is ready or stopping) or
    /// `WATCHDOG_USEC` (Docs/operations.md, "Incidents").
    static let inherited = ["PATH", "LANG", "LC_ALL", "TZ", "HOME", "USER", "LOGNAME"]

    /// - Returns: the exit status, or nil when it had to be killed after `timeout` seconds.
    static func shell(_ command: String, environment extra: [String: String], timeout: Double) -> Int32? {
        let mine = ProcessInfo.processInfo.environment
        var env: [String: String] = ["PATH": "/usr/local/bin:/usr/bin:/bin"]
        for key in inherited { if let v = mine[key] { env[key] = v } }
        for (k, v) in extra { env[k] = v }
        // Its output goes to aafd's stderr (the journal under systemd), never into stdout's answers.
        guard let child = try? ChildProcess("/bin/sh", ["-c", command], environment: env, stdout: 2, stderr: 2) else {
            return nil
        }
        return child.wait(timeout: timeout)
    }
}
