#ifndef IRPO_CMPI_SHIM_H
#define IRPO_CMPI_SHIM_H
/* Open MPI's MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM... are macros over casts of global addresses,
   which Swift cannot import: these wrappers hand Swift the few calls dpo-train makes. */
#include <mpi.h>

/* Only the main thread calls MPI; the compute threads never do (MPI_THREAD_FUNNELED). */
static inline int irpo_mpi_init(void) {
    int provided = 0;
    return MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
}

static inline int irpo_mpi_rank(void) { int r = 0; MPI_Comm_rank(MPI_COMM_WORLD, &r); return r; }

static inline int irpo_mpi_size(void) { int n = 1; MPI_Comm_size(MPI_COMM_WORLD, &n); return n; }

/* Ranks on this node: those that share memory with this one. */
static inline int irpo_mpi_local_size(void) {
    MPI_Comm node;
    int n = 1;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) != MPI_SUCCESS) return 1;
    MPI_Comm_size(node, &n);
    MPI_Comm_free(&node);
    return n;
}

static inline int irpo_mpi_sum_floats(float *values, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}

static inline int irpo_mpi_sum_doubles(double *values, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

static inline int irpo_mpi_finalize(void) { return MPI_Finalize(); }

static inline void irpo_mpi_abort(int status) { MPI_Abort(MPI_COMM_WORLD, status); }
#endif
