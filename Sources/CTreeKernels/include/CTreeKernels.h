// C kernels of TreeModels: scoring with rank-mask tables (see RankMaskScorer.swift for the
// method), binning raw values, sorting a sample. Written in C for two things Swift cannot ask of
// the compiler: a branch-free binary search (`__builtin_unpredictable`; LLVM otherwise turns the
// select back into a branch) and an AVX2 build of the scoring kernel chosen at run time, so the
// binary still runs on CPUs without AVX2.
#ifndef PLUMB_CTREEKERNELS_H
#define PLUMB_CTREEKERNELS_H

#include <stdint.h>

/// The tables, laid out as RankMaskTables documents; every array is borrowed.
typedef struct {
    long trees;            ///< T
    long used;             ///< U: features some node splits on
    long leaf_stride;      ///< leaf slots per tree in leaf_value
    long block_rows;       ///< rows scored together
    long key_count;        ///< keys per group in remap: thresholds + 2 U
    const long *used_feature;     ///< [U] column of each used feature
    const double *thresholds;     ///< distinct thresholds, ascending per feature
    const long *threshold_start;  ///< [U + 1]
    const uint16_t *remap;        ///< [groups × key_count] group's table row of a key
    const long *group_start;      ///< [groups] first word of each group's table
    const void *table;            ///< uint32_t words (wide == 0) or uint64_t (wide == 1), 32-byte rows
    const double *leaf_value;     ///< [T × leaf_stride]
} plumb_rank_tables;

/// Kernel variants: automatic choice, portable (SSE2 on x86-64), AVX2.
enum { PLUMB_KERNEL_AUTO = -1, PLUMB_KERNEL_PORTABLE = 0, PLUMB_KERNEL_AVX2 = 1 };  // KernelVariant in Swift

/// Scores rows [begin, end) of the column-major matrix `x` (n rows, one column per feature):
/// out[r] = base + scale × Σ_t leaf_t(r), trees summed in order. `kernel` picks a variant (AVX2
/// falls back to portable on a CPU without it). Returns 0, or -1 when scratch memory could not be
/// allocated (nothing written then).
int plumb_rank_tables_score(const plumb_rank_tables *tables, int wide, int kernel,
                            const double *x, long n, long begin, long end,
                            double base, double scale, double *out);

/// 1 when this CPU and OS run AVX2 and BMI1 code.
int plumb_cpu_has_avx2(void);

/// Numeric binning: out[i] = the first b with x[i] <= bounds[b] (bounds ascending, the last one
/// +inf, count <= 255), or `missing_bin` when x[i] is NaN.
void plumb_bin_numeric(const double *bounds, long count, const double *x, long n,
                       uint8_t missing_bin, uint8_t *out);

/// Sorts n doubles ascending (no NaN; -0 before +0), LSD radix on their order-preserving bit
/// patterns. `scratch` holds 2n uint64_t. Digits that are equal across all values are skipped.
/// Returns 0, or -1 when its digit counters could not be allocated (values untouched then).
int plumb_sort_doubles(double *values, long n, uint64_t *scratch);

/// A small node's split search (TreeGrower's direct path, every hessian 1): what it reads.
typedef struct {
    const uint8_t *row_bins;    ///< row-major bins: row r's bin of feature f at r × row_stride + f
    long row_stride;            ///< features of the binned matrix
    const float *gradients;     ///< one per matrix row
    const float *hessians;      ///< one per matrix row, or NULL when every hessian is 1
    const long *features;       ///< [feature_count] numeric features searched, in order
    const long *value_bins;     ///< [feature_count] value bins of each (its missing bin follows)
    const long *bin_offsets;    ///< per matrix feature: its first bin in `acc`
    long feature_count;
    double tg, th, tc;          ///< the node's Σg, Σh, count
    double min_data, min_hess, lambda;
    double parent;              ///< tg² / (th + λ)
    double min_gain;            ///< gains must exceed this
    int kernel;                 ///< PLUMB_KERNEL_*: which build of the threshold scan runs (same result)
} plumb_split_problem;

/// The best split found: left sums include the missing rows when `default_left`.
typedef struct {
    long feature_position;      ///< index into `features`
    long bin;                   ///< last value bin on the left
    int default_left;
    double gain, gl, hl, cl;
} plumb_split;

/// Sums (g, 1) of `rows` into a sparse histogram per feature (`acc`: (Σg, count) pairs at each
/// feature's bin offset; with hessians (Σg, Σh, count, -) quadruples; `occupied`: 4 words of bits
/// per matrix feature), then scans each feature's occupied bins in ascending order exactly as
/// Splitter's ThresholdScan does (same candidates, same arithmetic, strict improvements), leaving
/// `acc` and `occupied` zero again. Returns 1 with `out` filled, or 0 when no split qualifies.
int plumb_sparse_best_split(const plumb_split_problem *problem, const int32_t *rows, long m,
                            double *acc, uint64_t *occupied, plumb_split *out);

/// The best threshold of one numeric feature from its dense per-bin sums: `g`, `h`, `c` hold
/// Σgradient, Σhessian and count of value bins 0 ..< nv, then the missing bin at nv (`h` may be
/// `c` for unit hessians), nv <= 255. The same candidates, arithmetic and tie-breaking as
/// Splitter's ThresholdScan (so the same split, bit for bit), in the build `problem->kernel`
/// names. Only the totals and limits of `problem` are read. Returns 1 with `out` filled
/// (`feature_position` 0), or 0 when no split qualifies.
int plumb_dense_best_split(const plumb_split_problem *problem, const double *g, const double *h, const double *c,
                           long nv, plumb_split *out);

/// Adds (g[r], h[r], 1) of each row r = rows[k] (r = k when `rows` is NULL) to the (Σg, Σh,
/// count, -) quadruples of `c` ≤ 4 columns' bins: column i's at acc + 1024 i (256 bins × 4), in
/// row order (the same sums as one pass per column).
void plumb_histogram_gh(const int32_t *rows, long m, const float *g, const float *h,
                        const uint8_t *const *columns, long c, double *acc);

/// Adds (g[r], 1) of each row r = rows[k] to the (Σg, count) pairs of `c` ≤ 4 columns' bins:
/// column i's pairs at acc + 512 i (256 bins × 2), in row order (the same sums as one pass).
void plumb_histogram_indexed(const int32_t *rows, long m, const float *g, const uint8_t *const *columns, long c,
                             double *acc);

/// 1 when this CPU and OS run AVX-512 F/BW/VL code.
int plumb_cpu_has_avx512(void);

/// Stable partition of rows[0 ..< m] by a numeric split: a row r goes left when column[r] <=
/// threshold_bin, or column[r] == missing_bin and `missing_left`. Left rows are moved to the
/// front of `rows` in order, right rows written to `right` in order; returns the left count.
/// `column` must be readable 3 bytes past its last row (the AVX-512 build reads 4-byte words).
/// `kernel` (PLUMB_KERNEL_*): portable, or AVX-512 where the CPU has it; the same result.
long plumb_partition_threshold(int32_t *rows, long m, int32_t *right, const uint8_t *column, long threshold_bin,
                               long missing_bin, int missing_left, int kernel);

#endif
