import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs `/bin/sh -c command` in a clean environment, stdin from /dev/null, and a time limit.
/// posix_spawn and waitpid on the child's own pid: no shared child-monitoring thread.
enum Spawn {
    /// What the command inherits from aafd's environment: nothing else. In particular not `CREDENTIALS_DIRECTORY`
    /// (the key's passphrase), `NOTIFY_SOCKET` (it could tell systemd the service is ready or stopping) or
    /// `WATCHDOG_USEC` (Docs/operations.md, "Incidents").
    static let inherited = ["PATH", "LANG", "LC_ALL", "TZ", "HOME", "USER", "LOGNAME"]

    /// - Returns: the exit status, or nil when it had to be killed after `timeout` seconds.
    static func shell(_ command: String, environment extra: [String: String], timeout: Double) -> Int32? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let mine = ProcessInfo.processInfo.environment
        var env: [String: String] = ["PATH": "/usr/local/bin:/usr/bin:/bin"]
        for key in inherited { if let v = mine[key] { env[key] = v } }
        for (k, v) in extra { env[k] = v }
        let arguments: [String] = ["/bin/sh", "-c", command]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/bin/sh", &actions, nil, argv, envp) == 0 else { return nil }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F) }
            if r < 0 && errno != EINTR { return nil }
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                return nil
            }
            usleep(20_000)
        }
    }
}
