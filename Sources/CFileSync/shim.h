#ifndef AAFD_CFILESYNC_SHIM_H
#define AAFD_CFILESYNC_SHIM_H
// Linux calls Swift's Glibc module does not expose: sync_file_range (behind _GNU_SOURCE) and malloc_trim (malloc.h).
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <malloc.h>

/// Starts write-back of a file range without waiting for it (SYNC_FILE_RANGE_WRITE); 0 or -1 with errno.
static inline int cfilesync_start_writeback(int fd, long long offset, long long count) {
    return sync_file_range(fd, (off_t)offset, (off_t)count, SYNC_FILE_RANGE_WRITE);
}

/// Gives the pages of freed heap memory back to the kernel (malloc_trim(0)): glibc keeps them otherwise, and a phase
/// that allocated and freed megabytes in small blocks stays in the peak of every later one (issue 24).
static inline void cfilesync_release_free_heap(void) {
    (void)malloc_trim(0);
}
#endif
