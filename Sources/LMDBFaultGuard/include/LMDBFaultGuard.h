// LMDB's entry points, run under a fault guard.
//
// LMDB 0.9 trusts the pages of its file: a damaged node offset or key size
// makes it read past a page, into the map's unbacked tail (SIGBUS) or past the
// map (SIGSEGV); a damaged node flag makes it follow a null pointer; a
// malformed page fails one of its assertions (abort). Each function here
// calls LMDB with a jump buffer set: a SIGSEGV or SIGBUS whose address lies in
// (or just past) the calling transaction's map or in the null page, or an
// LMDB assertion, returns TKV_PAGE_FAULT instead of ending the process, and
// the caller must then abort the transaction. Any other fault goes to the
// handler installed before (or the default action), as if this were absent.
//
// Values and keys LMDB lends are checked to lie inside the file's extent
// before they are returned, so that Swift code reading them cannot fault.
#ifndef LMDB_FAULT_GUARD_H
#define LMDB_FAULT_GUARD_H

#include <lmdb.h>
#include <stddef.h>

/// Returned when LMDB faulted on (or asserted over) a damaged page, or lent
/// bytes outside the file. Outside LMDB's range of codes.
#define TKV_PAGE_FAULT (-30500)

/// Where an environment's map lies, and how much of it the file backs.
typedef struct tkv_map {
  const char *start;
  size_t size;
  /// Bytes from `start` that the file backs (grows as the file grows).
  size_t extent;
  /// The environment's file descriptor (to refresh `extent`).
  int descriptor;
  unsigned page_size;
} tkv_map;

/// What the last TKV_PAGE_FAULT of this thread was.
typedef struct tkv_fault {
  /// SIGSEGV, SIGBUS, SIGABRT (an LMDB assertion), or 0 (lent bytes outside the file).
  int signal;
  /// The byte offset in the file of the fault (or of the lent bytes), -1 when not in the map.
  long long offset;
  /// The file's page size (to name the page holding `offset`).
  unsigned page_size;
  /// LMDB's assertion text, when `signal` is SIGABRT.
  char message[240];
} tkv_fault;

/// Installs the SIGSEGV/SIGBUS handlers (once per process) and LMDB's
/// assertion callback on `env`. Call before the first guarded call.
void tkv_guard_install(MDB_env *env);

/// Finds `env`'s map (Linux: /proc/self/maps, by the file's device and
/// inode). Returns 0, or an errno; without a map range, guarded calls still
/// run but no fault is caught. Call after open and after each map resize.
int tkv_map_locate(MDB_env *env, tkv_map *map);

/// Sets `map->extent` from the newest commit's last page (no system call).
void tkv_map_set_extent(MDB_env *env, tkv_map *map);

/// This thread's last fault.
const tkv_fault *tkv_last_fault(void);

int tkv_get(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, const tkv_map *map);
int tkv_cursor_get(MDB_cursor *cursor, MDB_val *key, MDB_val *data, MDB_cursor_op op, const tkv_map *map);
int tkv_cursor_open(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **cursor, const tkv_map *map);
int tkv_stat(MDB_txn *txn, MDB_dbi dbi, MDB_stat *stat, const tkv_map *map);
int tkv_dbi_open(MDB_txn *txn, const char *name, unsigned int flags, MDB_dbi *dbi, const tkv_map *map);
/// mdb_put through a cursor of its own, which (unlike mdb_put's stack cursor)
/// outlives a fault, so that the transaction can still be aborted.
int tkv_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned int flags, const tkv_map *map);
/// mdb_del (no duplicates) through a cursor of its own, for the same reason.
int tkv_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, const tkv_map *map);
int tkv_drop(MDB_txn *txn, MDB_dbi dbi, int del, const tkv_map *map);
/// mdb_txn_commit; after a fault (reading the free-page table) the
/// transaction is aborted here, as a failed commit always ends it.
int tkv_commit(MDB_txn *txn, const tkv_map *map);

#endif
