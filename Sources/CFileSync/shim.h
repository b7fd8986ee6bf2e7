#ifndef AAFD_CFILESYNC_SHIM_H
#define AAFD_CFILESYNC_SHIM_H
// sync_file_range is a Linux call behind _GNU_SOURCE, which Swift's Glibc module does not expose.
#define _GNU_SOURCE 1
#include <fcntl.h>

/// Starts write-back of a file range without waiting for it (SYNC_FILE_RANGE_WRITE); 0 or -1 with errno.
static inline int cfilesync_start_writeback(int fd, long long offset, long long count) {
    return sync_file_range(fd, (off_t)offset, (off_t)count, SYNC_FILE_RANGE_WRITE);
}

#include <spawn.h>

/// A child that inherits nothing but what it is given (issue 20): every descriptor from 3 up closed in the child
/// (glibc 2.34), and a new session, so no controlling terminal; 0 or an error number.
static inline int cfilesync_spawn_isolate(posix_spawn_file_actions_t *actions, posix_spawnattr_t *attributes) {
    int rc = posix_spawn_file_actions_addclosefrom_np(actions, 3);
    if (rc != 0) return rc;
    return posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETSID);
}
#endif
