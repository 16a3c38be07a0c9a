#include "CTreeKernels.h"

#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

// Scores must equal the Swift reference walk bit for bit: no fused multiply-add.
#pragma clang fp contract(off)

/// Khuong and Morin's branch-free binary search over t[0 ..< m] (ascending, m >= 1): the index
/// b where it stops, with t[b] the last candidate; plumb_rank_from finishes it.
static inline __attribute__((always_inline)) long plumb_search_stop(const double *t, long m, double v) {
    long b = 0, k = m;
    while (k > 1) {
        const long h = k >> 1;
        b = __builtin_unpredictable(t[b + h] < v) ? b + h : b;
        k -= h;
    }
    return b;
}

/// How many of t[0 ..< m] are below v, from where the search stopped. NaN is below nothing (0).
static inline __attribute__((always_inline)) long plumb_rank_from(const double *t, long b, double v) {
    return b + (t[b] < v);
}

/// How many of t[0 ..< m] (ascending, m >= 1) are below v. NaN is below nothing (0).
static inline __attribute__((always_inline)) long plumb_rank_below(const double *t, long m, double v) {
    return plumb_rank_from(t, plumb_search_stop(t, m, v), v);
}

/// A row's key offset for value v among a feature's `count` thresholds, from where the search
/// stopped: its rank, or count + 1 (the missing-value key) when v is NaN.
static inline __attribute__((always_inline)) long plumb_rank_key(const double *t, long count, long b, double v) {
    const long r = plumb_rank_from(t, b, v);
    return __builtin_unpredictable(v != v) ? count + 1 : r;
}

typedef uint32_t v8u32 __attribute__((vector_size(32), aligned(4)));
typedef uint64_t v4u64 __attribute__((vector_size(32), aligned(8)));

// Every mask keeps its row's leaf bit, so no word is ever zero.
#define CTZ32(w) __builtin_ctz(w)
#define CTZ64(w) __builtin_ctzll(w)

#define PASTE2(a, b) a##b
#define PASTE(a, b) PASTE2(a, b)

// Both word sizes, once portable and once for AVX2 (chosen at run time).
#define TARGET
#define SUFFIX portable
#include "kernel_words.inc"
#undef TARGET
#undef SUFFIX

#if defined(__x86_64__)
#define TARGET __attribute__((target("avx2,bmi")))
#define SUFFIX avx2
#include "kernel_words.inc"
#undef TARGET
#undef SUFFIX
#endif

static int detect_avx2(void) {
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & bit_OSXSAVE) || !(c & bit_AVX)) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return 0;   // the OS saves XMM and YMM state
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b & bit_AVX2) && (b & bit_BMI) ? 1 : 0;
#else
    return 0;
#endif
}

int plumb_cpu_has_avx2(void) {
    static int cached = -1;   // benign race: every thread computes the same answer
    int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (v < 0) {
        v = detect_avx2();
        __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
    }
    return v;
}

int plumb_rank_tables_score(const plumb_rank_tables *tables, int wide, int kernel,
                            const double *x, long n, long begin, long end,
                            double base, double scale, double *out) {
    if (begin >= end) return 0;
    // Scratch for one block, no larger than the rows asked for (a single-row request).
    const long bs = end - begin < tables->block_rows ? end - begin : tables->block_rows;
    const long u = tables->used > 0 ? tables->used : 1;
    // Small requests (single rows from a server) use the stack: no allocation per call.
    enum { stack_keys = 1024, stack_rows = 64 };
    int32_t small_keys[stack_keys];
    double small_acc[stack_rows];
    const int on_stack = bs * u <= stack_keys && bs <= stack_rows;
    int32_t *keys = on_stack ? small_keys : malloc(sizeof(int32_t) * (size_t)(bs * u));
    double *acc = on_stack ? small_acc : malloc(sizeof(double) * (size_t)bs);
    if (!keys || !acc) {
        if (!on_stack) { free(keys); free(acc); }
        return -1;
    }
    plumb_rank_tables block = *tables;
    block.block_rows = bs;
    tables = &block;
    const int avx2 = kernel != PLUMB_KERNEL_PORTABLE && plumb_cpu_has_avx2();
#if defined(__x86_64__)
    if (avx2) {
        if (wide) score64_avx2(tables, x, n, begin, end, base, scale, out, keys, acc);
        else score32_avx2(tables, x, n, begin, end, base, scale, out, keys, acc);
    } else
#endif
    {
        (void)avx2;
        if (wide) score64_portable(tables, x, n, begin, end, base, scale, out, keys, acc);
        else score32_portable(tables, x, n, begin, end, base, scale, out, keys, acc);
    }
    if (!on_stack) { free(keys); free(acc); }
    return 0;
}

void plumb_bin_numeric(const double *bounds, long count, const double *x, long n,
                       uint8_t missing_bin, uint8_t *out) {
    for (long i = 0; i < n; i++) {
        const double v = x[i];
        // First b with v <= bounds[b] = how many bounds are below v (the last bound is +inf).
        const long b = plumb_rank_below(bounds, count, v);
        out[i] = __builtin_unpredictable(v != v) ? missing_bin : (uint8_t)b;
    }
}

// Order-preserving map of a double's bits to an unsigned key: flip every bit of a negative
// number, only the sign bit of a positive one.
static inline uint64_t sort_key(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return (u >> 63) ? ~u : (u | 0x8000000000000000ULL);
}

static inline double sort_value(uint64_t k) {
    const uint64_t u = (k >> 63) ? (k & ~0x8000000000000000ULL) : ~k;
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

enum { RADIX_BITS = 11, RADIX_BUCKETS = 1 << RADIX_BITS, RADIX_PASSES = (64 + RADIX_BITS - 1) / RADIX_BITS };

int plumb_sort_doubles(double *values, long n, uint64_t *scratch) {
    if (n < 2) return 0;
    uint64_t *a = scratch, *b = scratch + n;
    long (*counts)[RADIX_BUCKETS] = calloc(RADIX_PASSES, sizeof *counts);
    if (!counts) return -1;
    for (long i = 0; i < n; i++) {
        const uint64_t k = sort_key(values[i]);
        a[i] = k;
        for (int p = 0; p < RADIX_PASSES; p++) counts[p][(k >> (p * RADIX_BITS)) & (RADIX_BUCKETS - 1)]++;
    }
    for (int p = 0; p < RADIX_PASSES; p++) {
        long *c = counts[p];
        const uint64_t first = (a[0] >> (p * RADIX_BITS)) & (RADIX_BUCKETS - 1);
        if (c[first] == n) continue;   // every value has this digit: the pass would not move anything
        long sum = 0;
        for (int d = 0; d < RADIX_BUCKETS; d++) { const long t = c[d]; c[d] = sum; sum += t; }
        for (long i = 0; i < n; i++) {
            const uint64_t k = a[i];
            b[c[(k >> (p * RADIX_BITS)) & (RADIX_BUCKETS - 1)]++] = k;
        }
        uint64_t *t = a; a = b; b = t;
    }
    for (long i = 0; i < n; i++) values[i] = sort_value(a[i]);
    free(counts);
    return 0;
}
