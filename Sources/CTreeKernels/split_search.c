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

// ---------------------------------------------------------------------------------------------
// Candidate tables: a feature's thresholds in scan order with the left sums at each. Built from a
// dense histogram (every value bin; empty ones not live) or from a sparse one (the occupied value
// bins only), then searched by one of two equivalent kernels.

enum { table_capacity = 260 };   // 255 value bins, rounded up to whole AVX2 vectors

typedef struct {
    double gl[table_capacity], hl[table_capacity], cl[table_capacity];
    const double *bin;             // the value bin of each position, ascending
    double live[table_capacity];   // 1 when the bin holds rows (only those are thresholds)
    long n;                        // positions
    long nv;                       // the feature's value bins
    double gm, hm, cm;             // the missing bin's sums
    double bins[table_capacity];   // `bin` of a sparse table
} candidate_table;

/// 0, 1, 2, …: the positions of a dense table are its bins.
static const double every_bin[table_capacity] = {
#define B4(k) (k), (k) + 1, (k) + 2, (k) + 3
#define B16(k) B4(k), B4((k) + 4), B4((k) + 8), B4((k) + 12)
#define B64(k) B16(k), B16((k) + 16), B16((k) + 32), B16((k) + 48)
    B64(0), B64(64), B64(128), B64(192), B4(256)
#undef B64
#undef B16
#undef B4
};

/// Positions = value bins 0 ..< nv of dense planes (`h` may be `c`: unit hessians). Left sums
/// add the non-empty bins in order, as ThresholdScan does; an empty bin's gradient (a rounding
/// residue in a derived histogram) is never added. Sums start at +0 and so never become -0,
/// which makes adding a masked 0 exact.
static inline __attribute__((always_inline)) void table_from_dense(const double *g, const double *h, const double *c, long nv,
                                                                   candidate_table *t) {
    double gl = 0, hl = 0, cl = 0;
    if (h == c) {
        for (long b = 0; b < nv; b++) {
            const int filled = c[b] != 0;
            gl += filled ? g[b] : 0;
            cl += c[b];
            t->gl[b] = gl; t->hl[b] = cl; t->cl[b] = cl; t->live[b] = filled;
        }
    } else {
        for (long b = 0; b < nv; b++) {
            const int filled = c[b] != 0;
            gl += filled ? g[b] : 0;
            hl += filled ? h[b] : 0;
            cl += c[b];
            t->gl[b] = gl; t->hl[b] = hl; t->cl[b] = cl; t->live[b] = filled;
        }
    }
    t->bin = every_bin;
    t->n = nv; t->nv = nv;
    t->gm = g[nv]; t->hm = h[nv]; t->cm = c[nv];
}

/// Positions = the occupied value bins of a sparse histogram, read through its occupancy bits in
/// ascending order: (Σg, count) pairs with unit hessians (`stride` 2), else (Σg, Σh, count, -)
/// quadruples (`stride` 4). Every bin it reads is zeroed again (with its bit) for the next node.
static inline void table_from_sparse(double *acc, long stride, uint64_t *occ, long nv, candidate_table *t) {
    double gl = 0, hl = 0, cl = 0;
    long n = 0;
    const int unit = stride == 2;
    const long c_at = unit ? 1 : 2;
    t->gm = acc[stride * nv]; t->cm = acc[stride * nv + c_at]; t->hm = unit ? t->cm : acc[stride * nv + 1];
    for (long w = 0; w < 4; w++) {
        uint64_t word = occ[w];
        occ[w] = 0;
        while (word != 0) {
            const long b = w << 6 | __builtin_ctzll(word);
            word &= word - 1;
            double *a = acc + stride * b;
            const double sg = a[0], sh = a[1], sc = a[c_at];
            a[0] = 0; a[1] = 0; a[c_at] = 0;
            if (b >= nv) continue;   // the missing bin
            gl += sg; cl += sc;
            hl = unit ? cl : hl + sh;
            t->gl[n] = gl; t->hl[n] = hl; t->cl[n] = cl; t->bins[n] = (double)b; t->live[n] = 1;
            n++;
        }
    }
    t->bin = t->bins;
    t->n = n; t->nv = nv;
}

/// The sequential scan over a table: ThresholdScan's candidates, stops and strict improvements.
static int best_in_table_portable(const plumb_split_problem *q, const candidate_table *t, plumb_split *out) {
    scan_state s;
    s.gm = t->gm; s.hm = t->hm; s.cm = t->cm;
    s.nv = t->nv; s.with_missing = s.cm > 0; s.best = q->min_gain; s.code = -1;
    for (long i = 0; i < t->n; i++) {
        if (t->live[i] == 0) continue;
        if (!scan_step(q, &s, (long)t->bin[i], t->gl[i], t->hl[i], t->cl[i])) break;
    }
    if (s.code < 0) return 0;
    scan_result(&s, 0, out);
    return 1;
}

/// The winner among per-lane bests (gain, code = 2 × bin + missing-left): the largest gain, the
/// smallest code among equal gains — the first candidate in scan order, as a strict scan keeps.
static inline int reduce_lanes(const double *gain, const long *code, long lanes, double *best_gain, long *best_code) {
    int found = 0;
    for (long l = 0; l < lanes; l++) {
        if (code[l] < 0) continue;
        if (!found || gain[l] > *best_gain || (gain[l] == *best_gain && code[l] < *best_code)) {
            *best_gain = gain[l];
            *best_code = code[l];
            found = 1;
        }
    }
    return found;
}

/// The split of a winning code: its bin, side of the missing rows and left sums (with them when
/// they go left), read back from the table.
static void table_result(const candidate_table *t, long code, double gain, plumb_split *out) {
    const long b = code >> 1;
    const int left_missing = (int)(code & 1);
    long i = 0;
    while ((long)t->bin[i] != b) i++;   // bins ascend; the winner is in the table
    out->feature_position = 0;
    out->bin = b;
    out->default_left = left_missing;
    out->gain = gain;
    out->gl = left_missing ? t->gl[i] + t->gm : t->gl[i];
    out->hl = left_missing ? t->hl[i] + t->hm : t->hl[i];
    out->cl = left_missing ? t->cl[i] + t->cm : t->cl[i];
}

#if defined(__x86_64__)
#include <immintrin.h>

/// The scan over a table four positions at a time: each candidate's constraints and gain with
/// the sequential scan's operations, a per-lane best with strict improvements (lanes see their
/// positions in order), then the first best across lanes. The sequential scan's stops are
/// constraints that hold for every later position too (the right side only shrinks), so
/// masking them out finds the same split.
__attribute__((target("avx2"))) static int best_in_table_avx2(const plumb_split_problem *q, candidate_table *t,
                                                              plumb_split *out) {
    const long padded = (t->n + 3) & ~3L;
    for (long i = t->n; i < padded; i++) { t->gl[i] = 0; t->hl[i] = 0; t->cl[i] = 0; t->live[i] = 0; t->bins[i] = 0; }
    const int with_missing = t->cm > 0;
    const __m256d tg = _mm256_set1_pd(q->tg), th = _mm256_set1_pd(q->th), tc = _mm256_set1_pd(q->tc);
    const __m256d min_data = _mm256_set1_pd(q->min_data), min_hess = _mm256_set1_pd(q->min_hess);
    const __m256d lambda = _mm256_set1_pd(q->lambda), parent = _mm256_set1_pd(q->parent);
    const __m256d gm = _mm256_set1_pd(t->gm), hm = _mm256_set1_pd(t->hm), cm = _mm256_set1_pd(t->cm);
    const __m256d zero = _mm256_setzero_pd(), two = _mm256_set1_pd(2), one = _mm256_set1_pd(1);
    // The last value bin is a threshold only with missing rows to send right (never left).
    const __m256d last_right = _mm256_set1_pd((double)(with_missing ? t->nv - 1 : t->nv - 2));
    const __m256d last_left = _mm256_set1_pd((double)(t->nv - 2));
    __m256d best_r = _mm256_set1_pd(q->min_gain), best_l = best_r;
    __m256d code_r = _mm256_set1_pd(-1), code_l = code_r;
    for (long i = 0; i < padded; i += 4) {
        const __m256d gl = _mm256_loadu_pd(t->gl + i), hl = _mm256_loadu_pd(t->hl + i), cl = _mm256_loadu_pd(t->cl + i);
        const __m256d bin = _mm256_loadu_pd(t->bin + i);
        const __m256d live = _mm256_and_pd(_mm256_cmp_pd(_mm256_loadu_pd(t->live + i), zero, _CMP_NEQ_OQ),
                                           _mm256_cmp_pd(_mm256_sub_pd(tc, cl), min_data, _CMP_GE_OQ));
        {   // missing rows go right
            const __m256d hr = _mm256_sub_pd(th, hl), gr = _mm256_sub_pd(tg, gl);
            __m256d ok = _mm256_and_pd(live, _mm256_cmp_pd(bin, last_right, _CMP_LE_OQ));
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(cl, min_data, _CMP_GE_OQ));
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(hl, min_hess, _CMP_GE_OQ));
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(hr, min_hess, _CMP_GE_OQ));
            const __m256d gain = _mm256_sub_pd(_mm256_add_pd(_mm256_div_pd(_mm256_mul_pd(gl, gl), _mm256_add_pd(hl, lambda)),
                                                             _mm256_div_pd(_mm256_mul_pd(gr, gr), _mm256_add_pd(hr, lambda))),
                                               parent);
            const __m256d better = _mm256_and_pd(ok, _mm256_cmp_pd(gain, best_r, _CMP_GT_OQ));
            best_r = _mm256_blendv_pd(best_r, gain, better);
            code_r = _mm256_blendv_pd(code_r, _mm256_mul_pd(bin, two), better);
        }
        if (with_missing) {   // missing rows go left
            const __m256d gL = _mm256_add_pd(gl, gm), hL = _mm256_add_pd(hl, hm), cL = _mm256_add_pd(cl, cm);
            const __m256d hr = _mm256_sub_pd(th, hL), gr = _mm256_sub_pd(tg, gL);
            __m256d ok = _mm256_and_pd(live, _mm256_cmp_pd(bin, last_left, _CMP_LE_OQ));
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(cL, min_data, _CMP_GE_OQ));
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(_mm256_sub_pd(tc, cL), min_data, _CMP_GE_OQ));
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(hL, min_hess, _CMP_GE_OQ));
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(hr, min_hess, _CMP_GE_OQ));
            const __m256d gain = _mm256_sub_pd(_mm256_add_pd(_mm256_div_pd(_mm256_mul_pd(gL, gL), _mm256_add_pd(hL, lambda)),
                                                             _mm256_div_pd(_mm256_mul_pd(gr, gr), _mm256_add_pd(hr, lambda))),
                                               parent);
            const __m256d better = _mm256_and_pd(ok, _mm256_cmp_pd(gain, best_l, _CMP_GT_OQ));
            best_l = _mm256_blendv_pd(best_l, gain, better);
            code_l = _mm256_blendv_pd(code_l, _mm256_add_pd(_mm256_mul_pd(bin, two), one), better);
        }
    }
    double gains[8], codes_d[8];
    long codes[8];
    _mm256_storeu_pd(gains, best_r); _mm256_storeu_pd(gains + 4, best_l);
    _mm256_storeu_pd(codes_d, code_r); _mm256_storeu_pd(codes_d + 4, code_l);
    for (int l = 0; l < 8; l++) codes[l] = (long)codes_d[l];
    double best_gain = 0;
    long best_code = -1;
    if (!reduce_lanes(gains, codes, 8, &best_gain, &best_code)) return 0;
    table_result(t, best_code, best_gain, out);
    return 1;
}
#endif

static int best_in_table(const plumb_split_problem *q, candidate_table *t, plumb_split *out) {
    if (t->n == 0) return 0;
#if defined(__x86_64__)
    if (q->kernel != PLUMB_KERNEL_PORTABLE && plumb_cpu_has_avx2()) return best_in_table_avx2(q, t, out);
#endif
    return best_in_table_portable(q, t, out);
}

int plumb_dense_best_split(const plumb_split_problem *q, const double *g, const double *h, const double *c, long nv,
                           plumb_split *out) {
    if (nv <= 0 || nv > 255) return 0;
    candidate_table t;
    table_from_dense(g, h, c, nv, &t);
    return best_in_table(q, &t, out);
}

int plumb_sparse_best_split(const plumb_split_problem *q, const int32_t *rows, long m,
                            double *acc, uint64_t *occupied, plumb_split *out) {
    const long p = q->row_stride, na = q->feature_count;
    const uint8_t *row_bins = q->row_bins;
    const float *g = q->gradients, *h = q->hessians;
    const long stride = h ? 4 : 2;
    // One pass over the rows fills every feature's bins and their occupancy bits. Each
    // feature's column, bins and bits are looked up once, not per row.
    enum { chunk = 16 };
    for (long j0 = 0; j0 < na; j0 += chunk) {
        const long nj = na - j0 < chunk ? na - j0 : chunk;
        long col[chunk];
        double *base[chunk];
        uint64_t *bits[chunk];
        for (long j = 0; j < nj; j++) {
            const long f = q->features[j0 + j];
            col[j] = f; base[j] = acc + stride * q->bin_offsets[f]; bits[j] = occupied + 4 * f;
        }
        if (h) {
            for (long k = 0; k < m; k++) {
                const long r = rows[k];
                const uint8_t *bins = row_bins + r * p;
                const double gr = (double)g[r], hr = (double)h[r];
                for (long j = 0; j < nj; j++) {
                    const long b = bins[col[j]];
                    double *a = base[j] + 4 * b;
                    a[0] += gr; a[1] += hr; a[2] += 1.0;
                    bits[j][b >> 6] |= (uint64_t)1 << (b & 63);
                }
            }
        } else {
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
    }
    int found = 0;
    candidate_table t;
    for (long j = 0; j < na; j++) {
        const long f = q->features[j];
        table_from_sparse(acc + stride * q->bin_offsets[f], stride, occupied + 4 * f, q->value_bins[j], &t);
        plumb_split s;
        // Features in order, strictly greater gains only: the first feature with the best gain wins.
        if (best_in_table(q, &t, &s) && (!found || s.gain > out->gain)) {
            found = 1;
            *out = s;
            out->feature_position = j;
        }
    }
    return found;
}

/// (g, h, 1) of each row added to one feature's (Σg, Σh, count, -) quadruple at its bin.
typedef double quad __attribute__((vector_size(32), aligned(8)));

__attribute__((target_clones("avx2", "default")))
void plumb_histogram_gh(const int32_t *rows, long m, const float *g, const float *h,
                        const uint8_t *const *columns, long c, double *acc) {
    // As plumb_histogram_indexed, with hessians: each row adds one 4-double vector per feature.
    enum { ahead = 24 };
    const uint8_t *c0 = columns[0], *c1 = columns[c > 1 ? 1 : 0], *c2 = columns[c > 2 ? 2 : 0], *c3 = columns[c > 3 ? 3 : 0];
    quad *a0 = (quad *)acc, *a1 = a0 + 256, *a2 = a0 + 512, *a3 = a0 + 768;
    for (long k = 0; k < m; k++) {
        long r = k;
        if (rows) {
            if (k + ahead < m) {
                const long p = rows[k + ahead];
                __builtin_prefetch(c0 + p);
                if (c > 1) __builtin_prefetch(c1 + p);
                if (c > 2) __builtin_prefetch(c2 + p);
                if (c > 3) __builtin_prefetch(c3 + p);
                __builtin_prefetch(g + p);
                __builtin_prefetch(h + p);
            }
            r = rows[k];
        }
        const quad v = {(double)g[r], (double)h[r], 1.0, 0.0};
        a0[c0[r]] += v;
        if (c > 1) a1[c1[r]] += v;
        if (c > 2) a2[c2[r]] += v;
        if (c > 3) a3[c3[r]] += v;
    }
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

/// The left sums (over non-empty value bins, in bin order) at every value bin of one feature, as
