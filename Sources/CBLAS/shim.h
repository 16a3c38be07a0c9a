// C shim: exposes Debian's OpenBLAS CBLAS and LAPACKE headers to Swift. No Swift lives here.
#include <cblas.h>
#include <lapacke.h>
// OpenBLAS extensions (declared in OpenBLAS's cblas.h, repeated for clarity).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
// Stops OpenBLAS's worker threads (OpenBLAS's own fork handler uses it); the next parallel BLAS
// call starts them again. Exported by every OpenBLAS pthread build.
int blas_thread_shutdown_(void);
