#ifndef AAFD_CLIBSSH_SHIM_H
#define AAFD_CLIBSSH_SHIM_H
#include <libssh/libssh.h>
#include <libssh/sftp.h>

/// ssh_get_error takes a void *; this gives it a typed front.
static inline const char *clibssh_error(ssh_session s) { return ssh_get_error(s); }
#endif
