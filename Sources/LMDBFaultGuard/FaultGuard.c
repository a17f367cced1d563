// The fault guard: see include/LMDBFaultGuard.h. The only code that catches
// signals; it jumps back only over LMDB's own C frames, never over Swift's.
#define _GNU_SOURCE
#include "LMDBFaultGuard.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/sysmacros.h>
#endif

/// How far past the map's end a fault is still LMDB reading the map. A
/// node offset and a key size are 16 bits each (256 KiB covers them), but a
/// page whose node count is damaged to 0 makes LMDB's binary search start
/// at `NUMKEYS - 1` wrapped to an unsigned int, and index the node pointers
/// up to 2 bytes × 2³² past the page (found by `damagedFileFuzz`: a fault at
/// page + 2 GiB).
#define TKV_SLACK (((size_t)1 << 33) + ((size_t)256 << 10))
/// Never mapped (Linux's vm.mmap_min_addr is at least this): a fault here is a
/// null pointer plus a field's offset, and LMDB's structures are smaller.
#define TKV_NULL_PAGE 4096

/// One active guarded call of this thread; `previous` keeps nested calls (a
/// signal handler of someone else calling into LMDB) correct.
typedef struct tkv_guard {
  sigjmp_buf jump;
  const tkv_map *map;
  struct tkv_guard *previous;
} tkv_guard;

// initial-exec: the handler reads these without the lazy TLS allocation that
// is not async-signal-safe.
static __thread tkv_guard *volatile current __attribute__((tls_model("initial-exec")));
static __thread tkv_fault last_fault __attribute__((tls_model("initial-exec")));

static struct sigaction previous_segv, previous_bus;
static pthread_once_t installed = PTHREAD_ONCE_INIT;

const tkv_fault *tkv_last_fault(void) { return &last_fault; }

static int in_map(uintptr_t address, const tkv_map *map, size_t slack) {
  uintptr_t start = (uintptr_t)map->start;
  return map->start != NULL && address >= start && address - start < map->size + slack;
}

/// Someone else's fault: hand it to the handler that was there before us,
/// or let the default action end the process with the same signal.
static void pass_on(int signal_number, siginfo_t *info, void *context) {
  struct sigaction *before = signal_number == SIGBUS ? &previous_bus : &previous_segv;
  if ((before->sa_flags & SA_SIGINFO) && before->sa_sigaction != NULL) {
    before->sa_sigaction(signal_number, info, context);
    return;
  }
  if (before->sa_handler != SIG_DFL && before->sa_handler != SIG_IGN) {
    before->sa_handler(signal_number);
    return;
  }
  struct sigaction fallback;
  memset(&fallback, 0, sizeof fallback);
  fallback.sa_handler = SIG_DFL;
  sigaction(signal_number, &fallback, NULL);
  // A fault recurs when the instruction runs again; a sent signal is raised again.
  if (info->si_code <= 0) raise(signal_number);
}

static void on_fault(int signal_number, siginfo_t *info, void *context) {
  tkv_guard *guard = current;
  uintptr_t address = (uintptr_t)info->si_addr;
  // The map, or the null page: a damaged node flagged F_DUPDATA makes LMDB
  // use the duplicates cursor that a table without duplicates does not have.
  int null_page = address < TKV_NULL_PAGE;
  if (guard != NULL && info->si_code > 0 && (null_page || in_map(address, guard->map, TKV_SLACK))) {
    last_fault.signal = signal_number;
    last_fault.offset = null_page ? -1 : (long long)(address - (uintptr_t)guard->map->start);
    last_fault.page_size = guard->map->page_size;
    last_fault.message[0] = 0;
    siglongjmp(guard->jump, 1);
  }
  pass_on(signal_number, info, context);
}

/// LMDB calls this before it aborts on a failed assertion (a malformed page).
static void on_assert(MDB_env *env, const char *message) {
  tkv_guard *guard = current;
  if (guard != NULL) {
    last_fault.signal = SIGABRT;
    last_fault.offset = -1;
    snprintf(last_fault.message, sizeof last_fault.message, "%s", message ? message : "");
    siglongjmp(guard->jump, 1);
  }
  // Unguarded (a write LMDB began itself): at least say why the process ends.
  const char *path = NULL;
  if (env == NULL || mdb_env_get_path(env, &path) != 0) path = NULL;
  fprintf(stderr,
          "tracekv: %s is corrupted: LMDB found a malformed page (%s); run `tracekv verify`, restore it from a backup\n",
          path ? path : "the store", message ? message : "an internal check failed");
}

static void install_handlers(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_fault;
  // SA_NODEFER: the signal stays unblocked after the jump, so sigsetjmp
  // need not save the signal mask (a system call per guarded call).
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  sigaction(SIGSEGV, &action, &previous_segv);
  sigaction(SIGBUS, &action, &previous_bus);
}

void tkv_guard_install(MDB_env *env) {
  pthread_once(&installed, install_handlers);
  mdb_env_set_assert(env, on_assert);
}

int tkv_map_locate(MDB_env *env, tkv_map *map) {
  memset(map, 0, sizeof *map);
  map->descriptor = -1;
  MDB_envinfo info;
  MDB_stat stat;
  mdb_filehandle_t descriptor;
  if (mdb_env_info(env, &info) != 0 || mdb_env_stat(env, &stat) != 0 || mdb_env_get_fd(env, &descriptor) != 0)
    return EINVAL;
  map->descriptor = descriptor;
  map->page_size = stat.ms_psize;
#ifdef __linux__
  struct stat file;
  if (fstat(descriptor, &file) != 0) return errno;
  FILE *maps = fopen("/proc/self/maps", "re");
  if (maps == NULL) return errno;
  char line[4096];
  while (fgets(line, sizeof line, maps) != NULL) {
    unsigned long start, end, inode;
    unsigned long long offset;
    unsigned int major_number, minor_number;
    if (sscanf(line, "%lx-%lx %*4s %llx %x:%x %lu", &start, &end, &offset, &major_number, &minor_number, &inode) != 6)
      continue;
    // LMDB maps the whole map size at once, from offset 0.
    if (inode == file.st_ino && major_number == major(file.st_dev) && minor_number == minor(file.st_dev) &&
        offset == 0 && end - start >= info.me_mapsize) {
      map->start = (const char *)start;
      map->size = end - start;
      break;
    }
  }
  fclose(maps);
  tkv_map_set_extent(env, map);
  return map->start != NULL ? 0 : ENOENT;
#else
  return ENOSYS;
#endif
}

void tkv_map_set_extent(MDB_env *env, tkv_map *map) {
  MDB_envinfo info;
  // The newest commit's pages were all written before its meta page: the file holds them.
  if (mdb_env_info(env, &info) == 0) map->extent = ((size_t)info.me_last_pgno + 1) * map->page_size;
}

/// Whether `count` bytes at `bytes` start in the map but are not all backed by
/// the file (bytes outside the map, in a write's dirty pages, are fine).
static int outside_file(const void *bytes, size_t count, const tkv_map *map) {
  // LMDB lends every record, even an empty one, from a page: no address is damage.
  if (bytes == NULL) return 1;
  uintptr_t start = (uintptr_t)map->start, address = (uintptr_t)bytes;
  if (map->start == NULL || !in_map(address, map, 0)) return 0;
  size_t offset = address - start;
  if (count <= map->extent && offset <= map->extent - count) return 0;
  // Past the commit the transaction began with: a page this write spilled to the file, or damage.
  struct stat file;
  if (fstat(map->descriptor, &file) != 0) return 1;
  size_t backed = (size_t)file.st_size < map->size ? (size_t)file.st_size : map->size;
  return !(count <= backed && offset <= backed - count);
}

static int lent_outside(const MDB_val *key, const MDB_val *data, const tkv_map *map) {
  const MDB_val *values[2] = {key, data};
  for (int index = 0; index < 2; index++) {
    if (values[index] != NULL && outside_file(values[index]->mv_data, values[index]->mv_size, map)) {
      last_fault.signal = 0;
      last_fault.offset = (long long)((uintptr_t)values[index]->mv_data - (uintptr_t)map->start);
      last_fault.page_size = map->page_size;
      last_fault.message[0] = 0;
      return 1;
    }
  }
  return 0;
}

// Runs `call` with a jump buffer set; `result` is TKV_PAGE_FAULT after a fault.
#define GUARDED(map, result, call)                  \
  do {                                              \
    tkv_guard guard;                                \
    guard.map = (map);                              \
    guard.previous = current;                       \
    if (sigsetjmp(guard.jump, 0) != 0) {            \
      current = guard.previous;                     \
      (result) = TKV_PAGE_FAULT;                    \
    } else {                                        \
      current = &guard;                             \
      (result) = (call);                            \
      current = guard.previous;                     \
    }                                               \
  } while (0)

int tkv_get(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, const tkv_map *map) {
  int result;
  GUARDED(map, result, mdb_get(txn, dbi, key, data));
  if (result == 0 && lent_outside(NULL, data, map)) return TKV_PAGE_FAULT;
  return result;
}

int tkv_cursor_get(MDB_cursor *cursor, MDB_val *key, MDB_val *data, MDB_cursor_op op, const tkv_map *map) {
  int result;
  GUARDED(map, result, mdb_cursor_get(cursor, key, data, op));
  if (result == 0 && lent_outside(key, data, map)) return TKV_PAGE_FAULT;
  return result;
}

int tkv_cursor_open(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **cursor, const tkv_map *map) {
  int result;
  // A table's first use in a transaction reads its record from the main table.
  GUARDED(map, result, mdb_cursor_open(txn, dbi, cursor));
  return result;
}

int tkv_stat(MDB_txn *txn, MDB_dbi dbi, MDB_stat *stat, const tkv_map *map) {
  int result;
  GUARDED(map, result, mdb_stat(txn, dbi, stat));
  return result;
}

int tkv_dbi_open(MDB_txn *txn, const char *name, unsigned int flags, MDB_dbi *dbi, const tkv_map *map) {
  int result;
  GUARDED(map, result, mdb_dbi_open(txn, name, flags, dbi));
  return result;
}

int tkv_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned int flags, const tkv_map *map) {
  MDB_cursor *cursor;
  int result = tkv_cursor_open(txn, dbi, &cursor, map);
  if (result != 0) return result;
  GUARDED(map, result, mdb_cursor_put(cursor, key, data, flags));
  mdb_cursor_close(cursor);
  return result;
}

int tkv_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, const tkv_map *map) {
  MDB_cursor *cursor;
  MDB_val found = {0, NULL};
  int result = tkv_cursor_open(txn, dbi, &cursor, map);
  if (result != 0) return result;
  GUARDED(map, result, mdb_cursor_get(cursor, key, &found, MDB_SET));
  if (result == 0) GUARDED(map, result, mdb_cursor_del(cursor, 0));
  mdb_cursor_close(cursor);
  return result;
}

int tkv_drop(MDB_txn *txn, MDB_dbi dbi, int del, const tkv_map *map) {
  int result;
  GUARDED(map, result, mdb_drop(txn, dbi, del));
  return result;
}

int tkv_commit(MDB_txn *txn, const tkv_map *map) {
  int result;
  GUARDED(map, result, mdb_txn_commit(txn));
  // A commit ends its transaction on every path; after a fault, end it here.
  if (result == TKV_PAGE_FAULT) mdb_txn_abort(txn);
  return result;
}
