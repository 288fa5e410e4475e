#ifndef IRPO_COPENBLAS_SHIM_H
#define IRPO_COPENBLAS_SHIM_H
#include <cblas.h>
/* Declared by OpenBLAS but not in every cblas.h: set/get the BLAS thread count at run time. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
#endif
