#include "CTreeKernels.h"

// Stable partition of a leaf's rows by a numeric split: a row goes left when its bin is at most
// the threshold bin, or is the missing bin and missing rows go left. Same result as
// DataPartition's table-driven loop; the AVX-512 build moves sixteen rows per step.

static long partition_threshold_portable(int32_t *rows, long m, int32_t *right, const uint8_t *column,
                                         long threshold_bin, long missing_bin, int missing_left) {
    long nl = 0, nr = 0;
    // Branch-free: write to both sides, advance one (the side is unpredictable).
    for (long k = 0; k < m; k++) {
        const int32_t r = rows[k];
        const long b = column[r];
        const int go_left = (b <= threshold_bin) | ((b == missing_bin) & missing_left);
        rows[nl] = r;
        right[nr] = r;
        nl += go_left;
        nr += 1 - go_left;
    }
    return nl;
}

#if defined(__x86_64__)
#include <immintrin.h>

/// Sixteen rows a step: their bins gathered (4-byte loads at each row's bin, masked to the byte;
/// the column storage has padding past its end), compared, and each side's rows compressed in
/// order and written with a masked store. Left rows are written over positions already read.
__attribute__((target("avx512f,avx512bw,avx512vl,popcnt")))
static long partition_threshold_avx512(int32_t *rows, long m, int32_t *right, const uint8_t *column,
                                       long threshold_bin, long missing_bin, int missing_left) {
    const __m512i threshold = _mm512_set1_epi32((int)threshold_bin), missing = _mm512_set1_epi32((int)missing_bin);
    const __m512i byte = _mm512_set1_epi32(0xFF);
    long nl = 0, nr = 0, k = 0;
    for (; k + 16 <= m; k += 16) {
        const __m512i r = _mm512_loadu_si512((const void *)(rows + k));
        const __m512i bins = _mm512_and_si512(_mm512_i32gather_epi32(r, (const void *)column, 1), byte);
        __mmask16 left = _mm512_cmple_epi32_mask(bins, threshold);
        if (missing_left) left |= _mm512_cmpeq_epi32_mask(bins, missing);
        const __mmask16 goes_right = (__mmask16)~left;
        const int cl = __builtin_popcount(left), cr = 16 - cl;
        _mm512_mask_storeu_epi32(rows + nl, (__mmask16)((1u << cl) - 1), _mm512_maskz_compress_epi32(left, r));
        _mm512_mask_storeu_epi32(right + nr, (__mmask16)((1u << cr) - 1), _mm512_maskz_compress_epi32(goes_right, r));
        nl += cl;
        nr += cr;
    }
    for (; k < m; k++) {
        const int32_t r = rows[k];
        const long b = column[r];
        const int go_left = (b <= threshold_bin) | ((b == missing_bin) & missing_left);
        rows[nl] = r;
        right[nr] = r;
        nl += go_left;
        nr += 1 - go_left;
    }
    return nl;
}

static int detect_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}
#endif

int plumb_cpu_has_avx512(void) {
#if defined(__x86_64__)
    static int cached = -1;   // benign race: every thread computes the same answer
    int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (v < 0) {
        v = detect_avx512();
        __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
    }
    return v;
#else
    return 0;
#endif
}

long plumb_partition_threshold(int32_t *rows, long m, int32_t *right, const uint8_t *column, long threshold_bin,
                               long missing_bin, int missing_left, int kernel) {
#if defined(__x86_64__)
    if (kernel != PLUMB_KERNEL_PORTABLE && plumb_cpu_has_avx512())
        return partition_threshold_avx512(rows, m, right, column, threshold_bin, missing_bin, missing_left);
#endif
    (void)kernel;
    return partition_threshold_portable(rows, m, right, column, threshold_bin, missing_bin, missing_left);
}
