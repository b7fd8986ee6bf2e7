internal import CFileSync
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Starts the kernel's write-back of the WAL while an import works, so that the commit's `fdatasync` finds most of
/// its pages already on disk (issue 24).
///
/// An import writes the whole directory into the WAL (about 200 MB at 100,000 pupils), and its commit then waits
/// for all of it at once (the WAL's `fdatasync`: 0.3 s). The kernel does not start writing back on its own before
/// gigabytes are dirty or 30 s have passed. Every `interval`, this thread asks it to start
/// (`sync_file_range(SYNC_FILE_RANGE_WRITE)`, which does not wait): the disk works while the parser and the writer
/// do. Durability does not depend on it, only the time the commit waits does: SQLite's own `fdatasync` is unchanged.
///
/// The WAL only, never the database file: closing a descriptor releases every POSIX lock the process holds on that
/// file, SQLite's included (SQLite's "How To Corrupt", 2.2), and SQLite's locks are on the database file and the
/// `-shm` file, none on the WAL. Nothing is read or trusted: the WAL is in aafd's own private directory, opened
/// read-only, never through a symbolic link; a WAL that cannot be opened is left to SQLite's `fdatasync`.
final class WritebackPacer: @unchecked Sendable {
    // @unchecked Sendable: `stopping` and `stopped` are guarded by `condition`; the descriptor lives on the thread.
    private let condition = NSCondition()
    private var stopping = false
    private var stopped = false

    /// Starts pacing the WAL at `walPath` every `interval` seconds on a new thread.
    init(walPath: String, interval: TimeInterval = 0.1) {
        let thread = Thread { [self] in
            var fd: Int32 = -1
            condition.lock()
            while !stopping {
                condition.unlock()
                if fd < 0 { fd = open(walPath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
                if fd >= 0 { _ = cfilesync_start_writeback(fd, 0, 0) }
                condition.lock()
                if !stopping { _ = condition.wait(until: Date(timeIntervalSinceNow: interval)) }
            }
            condition.unlock()
            if fd >= 0 { close(fd) }
            condition.lock()
            stopped = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "aafd-writeback"
        thread.start()
    }

    /// Stops the thread and waits for it to have closed its descriptor.
    func stop() {
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
    }
}
