#ifndef AAFD_CSQLITE3_SHIM_H
#define AAFD_CSQLITE3_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a macro casting -1 to a function pointer; Swift cannot import it.
static inline sqlite3_destructor_type csqlite3_transient(void) { return SQLITE_TRANSIENT; }
/// sqlite3_config is variadic, which Swift cannot call. Memory statistics off: with them on, every allocation SQLite
/// makes takes a global mutex (issue 24); aafd reads none of them. Before SQLite is initialised, or SQLITE_MISUSE.
static inline int csqlite3_disable_memstatus(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
#endif
