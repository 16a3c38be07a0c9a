// C shim: exposes Debian's OpenBLAS CBLAS and LAPACKE headers to Swift. No Swift lives here.
#include <cblas.h>
#include <lapacke.h>
// OpenBLAS extensions (declared in OpenBLAS's cblas.h, repeated for clarity).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
