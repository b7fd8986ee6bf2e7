internal import CFileSync
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Starts the kernel's write-back of the database's files while an import works, so that the durable writes at its
/// end find most of their pages already on disk (issue 24).
///
/// An import writes the whole directory into the WAL (about 200 MB at 100,000 pupils), and its commit then waits
/// for all of it at once: the WAL's `fdatasync` (0.3 s), the checkpoint's copy into the database file, that file's
/// `fdatasync` (0.25 s). The kernel does not start writing back on its own before gigabytes are dirty or 30 s have
/// passed. Every `interval`, this thread asks it to start (`sync_file_range(SYNC_FILE_RANGE_WRITE)`, which does not
/// wait) for the WAL and the database file: the disk works while the parser and the writer do, and during the
/// checkpoint's copy. Nothing is read or trusted: the files are in aafd's own private directory, opened read-only,
/// never through a symbolic link, and a file that cannot be opened is left to SQLite's own `fdatasync`, which is
/// unchanged (durability does not depend on this thread, only the time the commit waits does).
final class WritebackPacer: @unchecked Sendable {
    // @unchecked Sendable: `stopping` and `stopped` are guarded by `condition`; the descriptors live on the thread.
    private let condition = NSCondition()
    private var stopping = false
    private var stopped = false

    /// Starts pacing `paths` (the database file and its WAL) every `interval` seconds on a new thread.
    init(paths: [String], interval: TimeInterval = 0.1) {
        let thread = Thread { [self] in
            var descriptors: [String: Int32] = [:]
            condition.lock()
            while !stopping {
                condition.unlock()
                for path in paths {
                    var fd = descriptors[path] ?? -1
                    if fd < 0 {
                        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
                        if fd >= 0 { descriptors[path] = fd }
                    }
                    if fd >= 0 { _ = cfilesync_start_writeback(fd, 0, 0) }
                }
                condition.lock()
                if !stopping { _ = condition.wait(until: Date(timeIntervalSinceNow: interval)) }
            }
            condition.unlock()
            for fd in descriptors.values { close(fd) }
            condition.lock()
            stopped = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "aafd-writeback"
        thread.start()
    }

    /// Stops the thread and waits for it to have closed its descriptors.
    func stop() {
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
    }
}
