// The CBLAS interface of Debian's libblas.so.3 (OpenBLAS through alternatives;
// Debian 12 has no separate libcblas). cblas.h comes with libopenblas-dev.
#include <cblas.h>

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>

// Sets the loaded BLAS's thread count when it is OpenBLAS (found by name at
// run time: libblas.so.3 may be the reference BLAS, which has no threads).
// Returns 1 when it was set, 0 when the library has no such call.
static inline int tkv_blas_set_threads(int count) {
  void (*set)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
  if (set == 0) return 0;
  set(count);
  return 1;
}
