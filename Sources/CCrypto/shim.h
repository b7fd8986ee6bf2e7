#ifndef AAFD_CCRYPTO_SHIM_H
#define AAFD_CCRYPTO_SHIM_H
// OpenSSL's libcrypto (libssl-dev, a dependency of libssh-dev): SHA-256 for the spool manifest.
#include <openssl/evp.h>
#endif
