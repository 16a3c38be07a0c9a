#include "CTreeKernels.h"

// Gains must equal Swift's ThresholdScan bit for bit: no fused multiply-add.
#pragma clang fp contract(off)

/// One threshold of ThresholdScan.consider, same operations in the same order. Returns 0 when the
/// scan stops here (no later threshold can qualify).
static inline __attribute__((always_inline)) int consider(
    const plumb_split_problem *q, long nv, double gm, double hm, double cm, long b,
    double gl, double hl, double cl, double *best, long *best_bin, int *best_left_missing,
    double *bgl, double *bhl, double *bcl) {
    if (b == nv - 1 && cm == 0) return 0;
    if (q->tc - cl < q->min_data) return 0;
    {
        const double hr = q->th - hl;
        if (cl >= q->min_data && hl >= q->min_hess && hr >= q->min_hess) {
            const double gr = q->tg - gl;
            const double gain = gl * gl / (hl + q->lambda) + gr * gr / (hr + q->lambda) - q->parent;
            // Improvements come at no predictable rate: selects, not a branch.
            const int better = gain > *best;
            if (__builtin_unpredictable(better)) { *best = gain; *best_bin = b; *best_left_missing = 0; *bgl = gl; *bhl = hl; *bcl = cl; }
        }
    }
    if (cm > 0 && b < nv - 1) {
        const double gL = gl + gm, hL = hl + hm, cL = cl + cm;
        const double gr = q->tg - gL, hr = q->th - hL;
        if (cL >= q->min_data && q->tc - cL >= q->min_data && hL >= q->min_hess && hr >= q->min_hess) {
            const double gain = gL * gL / (hL + q->lambda) + gr * gr / (hr + q->lambda) - q->parent;
            if (gain > *best) { *best = gain; *best_bin = b; *best_left_missing = 1; *bgl = gl; *bhl = hl; *bcl = cl; }
        }
    }
    return 1;
}

int plumb_sparse_best_split(const plumb_split_problem *q, const int32_t *rows, long m,
                            double *acc, uint64_t *occupied, plumb_split *out) {
    const long p = q->row_stride, na = q->feature_count;
    const uint8_t *row_bins = q->row_bins;
    const float *g = q->gradients;
    // One pass over the rows fills every feature's (Σg, count) bins and their occupancy bits.
    // Each feature's column, bins and bits are looked up once, not per row.
    enum { chunk = 16 };
    for (long j0 = 0; j0 < na; j0 += chunk) {
        const long nj = na - j0 < chunk ? na - j0 : chunk;
        long col[chunk];
        double *base[chunk];
        uint64_t *bits[chunk];
        for (long j = 0; j < nj; j++) {
            const long f = q->features[j0 + j];
            col[j] = f; base[j] = acc + 2 * q->bin_offsets[f]; bits[j] = occupied + 4 * f;
        }
        for (long k = 0; k < m; k++) {
            const long r = rows[k];
            const uint8_t *bins = row_bins + r * p;
            const double gr = (double)g[r];
            for (long j = 0; j < nj; j++) {
                const long b = bins[col[j]];
                double *a = base[j] + 2 * b;
                a[0] += gr; a[1] += 1.0;
                bits[j][b >> 6] |= (uint64_t)1 << (b & 63);
            }
        }
    }
    int found = 0;
    for (long j = 0; j < na; j++) {
        const long f = q->features[j];
        const long nv = q->value_bins[j];
        double *a = acc + 2 * q->bin_offsets[f];
        uint64_t *occ = occupied + 4 * f;
        const double gm = a[2 * nv], cm = a[2 * nv + 1], hm = cm;
        double best = q->min_gain, bgl = 0, bhl = 0, bcl = 0;
        long best_bin = -1;
        int left_missing = 0;
        double gl = 0, cl = 0;
        int scanning = 1;
        // One walk over the occupied bins: each is read, then zeroed for the next node; once the
        // scan stops, the rest are only zeroed.
        for (long w = 0; w < 4; w++) {
            uint64_t word = occ[w];
            occ[w] = 0;
            while (word != 0) {
                const long b = w << 6 | __builtin_ctzll(word);
                word &= word - 1;
                const double sg = a[2 * b], sc = a[2 * b + 1];
                a[2 * b] = 0; a[2 * b + 1] = 0;
                if (scanning) {
                    if (b >= nv) { scanning = 0; continue; }
                    gl += sg; cl += sc;
                    scanning = consider(q, nv, gm, hm, cm, b, gl, cl, cl, &best, &best_bin, &left_missing, &bgl, &bhl, &bcl);
                }
            }
        }
        // Features in order, strictly greater gains only: the first feature with the best gain wins.
        if (best_bin >= 0 && (!found || best > out->gain)) {
            found = 1;
            out->feature_position = j;
            out->bin = best_bin;
            out->default_left = left_missing;
            out->gain = best;
            if (left_missing) { bgl += gm; bhl += hm; bcl += cm; }
            out->gl = bgl; out->hl = bhl; out->cl = bcl;
        }
    }
    return found;
}
