// The CBLAS interface of Debian's libblas.so.3 (OpenBLAS through alternatives;
// Debian 12 has no separate libcblas). cblas.h comes with libopenblas-dev.
#include <cblas.h>
