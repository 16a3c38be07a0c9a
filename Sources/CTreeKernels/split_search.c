#include "CTreeKernels.h"

// Gains must equal Swift's ThresholdScan bit for bit: no fused multiply-add.
#pragma clang fp contract(off)

/// `take ? a : b` without a branch (the compiler otherwise branches, and mispredicts).
static inline __attribute__((always_inline)) double select_double(int take, double a, double b) {
    uint64_t ua, ub;
    __builtin_memcpy(&ua, &a, 8); __builtin_memcpy(&ub, &b, 8);
    const uint64_t mask = (uint64_t)0 - (uint64_t)take;
    const uint64_t r = (ua & mask) | (ub & ~mask);
    double d;
    __builtin_memcpy(&d, &r, 8);
    return d;
}

/// gl²/(hl+λ) + gr²/(hr+λ) − parent, in ThresholdScan's order of operations.
static inline __attribute__((always_inline)) double split_gain(const plumb_split_problem *q, double gl, double hl,
                                                               double gr, double hr) {
    return gl * gl / (hl + q->lambda) + gr * gr / (hr + q->lambda) - q->parent;
}

/// A scan of one feature's thresholds in ascending bin order: ThresholdScan's candidates, stops
/// and strict improvements, carrying only (best gain, its code), which compile to selects rather
/// than branches that mispredict at every improvement. The left sums at each scanned bin are
/// kept so the winner's can be read back.
typedef struct {
    double gm, hm, cm;      // the missing bin's sums
    long nv;                // value bins
    int with_missing;
    double best;
    long code;              // 2 × bin + (missing rows go left), or -1
    double left_g[256], left_h[256], left_c[256];
} scan_state;

/// Considers the threshold after value bin `b` with left sums (gl, hl, cl). Returns 0 when the
/// scan stops here (no later threshold can qualify).
static inline __attribute__((always_inline)) int scan_step(const plumb_split_problem *q, scan_state *s, long b,
                                                           double gl, double hl, double cl) {
    // The last value bin leaves nothing on the right unless missing rows can go there; and the
    // right side only shrinks.
    if ((b == s->nv - 1 && !s->with_missing) || q->tc - cl < q->min_data) return 0;
    s->left_g[b] = gl; s->left_h[b] = hl; s->left_c[b] = cl;
    {
        const double hr = q->th - hl;
        const int ok = (cl >= q->min_data) & (hl >= q->min_hess) & (hr >= q->min_hess);
        const double gain = split_gain(q, gl, hl, q->tg - gl, hr);
        const int better = ok & (gain > s->best);
        s->best = select_double(better, gain, s->best);
        s->code = better ? 2 * b : s->code;
    }
    if (s->with_missing && b < s->nv - 1) {
        const double gL = gl + s->gm, hL = hl + s->hm, cL = cl + s->cm;
        const double hr = q->th - hL;
        const int ok = (cL >= q->min_data) & (q->tc - cL >= q->min_data) & (hL >= q->min_hess) & (hr >= q->min_hess);
        const double gain = split_gain(q, gL, hL, q->tg - gL, hr);
        const int better = ok & (gain > s->best);
        s->best = select_double(better, gain, s->best);
        s->code = better ? 2 * b + 1 : s->code;
    }
    return 1;
}

/// The scan's winner as a split (left sums include the missing rows when they go left).
static inline void scan_result(const scan_state *s, long feature_position, plumb_split *out) {
    const long b = s->code >> 1;
    const int left_missing = (int)(s->code & 1);
    double gl = s->left_g[b], hl = s->left_h[b], cl = s->left_c[b];
    if (left_missing) { gl += s->gm; hl += s->hm; cl += s->cm; }
    out->feature_position = feature_position;
    out->bin = b;
    out->default_left = left_missing;
    out->gain = s->best;
    out->gl = gl; out->hl = hl; out->cl = cl;
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
    scan_state s;
    int found = 0;
    for (long j = 0; j < na; j++) {
        const long f = q->features[j];
        const long nv = q->value_bins[j];
        double *a = acc + 2 * q->bin_offsets[f];
        uint64_t *occ = occupied + 4 * f;
        s.gm = a[2 * nv]; s.cm = a[2 * nv + 1]; s.hm = s.cm;
        s.nv = nv; s.with_missing = s.cm > 0; s.best = q->min_gain; s.code = -1;
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
                if (!scanning) continue;
                if (b >= nv) { scanning = 0; continue; }
                gl += sg; cl += sc;
                scanning = scan_step(q, &s, b, gl, cl, cl);
            }
        }
        // Features in order, strictly greater gains only: the first feature with the best gain wins.
        if (s.code >= 0 && (!found || s.best > out->gain)) {
            found = 1;
            scan_result(&s, j, out);
        }
    }
    return found;
}

void plumb_histogram_indexed(const int32_t *rows, long m, const float *g, const uint8_t *const *columns, long c,
                             double *acc) {
    // Rows in a node are sorted but sparse: each column byte is likely a cache miss that the
    // hardware cannot foresee (it depends on the index), so they are prefetched ahead.
    enum { ahead = 24 };
    const uint8_t *c0 = columns[0], *c1 = columns[c > 1 ? 1 : 0], *c2 = columns[c > 2 ? 2 : 0], *c3 = columns[c > 3 ? 3 : 0];
    double *a0 = acc, *a1 = acc + 512, *a2 = acc + 1024, *a3 = acc + 1536;
    for (long k = 0; k < m; k++) {
        if (k + ahead < m) {
            const long p = rows[k + ahead];
            __builtin_prefetch(c0 + p);
            if (c > 1) __builtin_prefetch(c1 + p);
            if (c > 2) __builtin_prefetch(c2 + p);
            if (c > 3) __builtin_prefetch(c3 + p);
            __builtin_prefetch(g + p);
        }
        const long r = rows[k];
        const double v = (double)g[r];
        double *x = a0 + 2 * c0[r]; x[0] += v; x[1] += 1.0;
        if (c > 1) { x = a1 + 2 * c1[r]; x[0] += v; x[1] += 1.0; }
        if (c > 2) { x = a2 + 2 * c2[r]; x[0] += v; x[1] += 1.0; }
        if (c > 3) { x = a3 + 2 * c3[r]; x[0] += v; x[1] += 1.0; }
    }
}
