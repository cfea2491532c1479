# The l1 thresholds (Michelot's iteration), shared by every kernel that projects
# a vector of magnitudes onto an l1 ball (the bi-level kernels, the exact l1,inf
# kernel), and the AVX2 loops behind them.

from cython cimport floating

from skproj.projections._common cimport c_contiguous, zero_if_contiguous, zero_row

# Status codes returned by the kernels; the Python layer turns them into errors.
cpdef enum Status:
    STATUS_PROJECTED = 0
    STATUS_INSIDE = 1        # already feasible: copied unchanged
    STATUS_NONFINITE = 2     # NaN or inf found: nothing written
    STATUS_NOMEMORY = 3


# The AVX2 and AVX-512 loops of the l1 thresholds (chosen at run time; see _l1_simd.h).
cdef extern from "_l1_simd.h" nogil:
    enum:
        SKP_WIDEN_UP
        SKP_WIDEN_DOWN
    ctypedef struct skp_scan:
        double total
        double minimum
        double count_high
        double sum_high
        Py_ssize_t n_gathered
        int overflow
        double low
    int skp_have_avx2()
    int skp_set_avx512(int on)
    void skp_set_cpu_choices(int strips, int panels_into_l1)
    int skp_cpu_zen5_or_later()
    int skp_cpu_amd()
    int skp_strips
    int skp_shrink_strips
    void skp_set_stream_ahead(Py_ssize_t bytes)
    Py_ssize_t skp_ahead_for_rows(Py_ssize_t n_rows, Py_ssize_t n_cols, Py_ssize_t row_stride,
                                  Py_ssize_t itemsize)
    bint skp_rows_alias(Py_ssize_t stride)
    bint skp_strips_suit(Py_ssize_t src_stride, Py_ssize_t dst_stride)
    bint skp_shrink_strips_suit(Py_ssize_t src_stride, Py_ssize_t dst_stride)
    int skp_panels_into_l1
    int skp_fold512
    int skp_realign
    void skp_scan_f32(const float* row, Py_ssize_t n, double low, double high,
                      int magnitudes, skp_scan* scan, float* buffer, Py_ssize_t capacity)
    void skp_scan_f64(const double* row, Py_ssize_t n, double low, double high,
                      int magnitudes, skp_scan* scan, double* buffer, Py_ssize_t capacity)
    double skp_short_threshold_f32(const float* values, Py_ssize_t n, double total,
                                   double fixed_count, double fixed_sum, double radius,
                                   double* support)
    double skp_long_threshold_f32(const float* values, Py_ssize_t n, double total,
                                  double fixed_count, double fixed_sum, double radius,
                                  double* support)
    int skp_sample_bracket_f32(const float* row, Py_ssize_t runs, Py_ssize_t gap,
                               int magnitudes, double scaled, int through_total, double sigmas,
                               Py_ssize_t margin, Py_ssize_t cap, Py_ssize_t gather_limit,
                               float* work, double* low, double* high, int* widen)
    void skp_bracket_spreads_f64(const double* support, Py_ssize_t n_support,
                                 const double* rest, Py_ssize_t n_rest, double tau,
                                 double scaled, double sigmas, Py_ssize_t margin,
                                 Py_ssize_t cap, Py_ssize_t* low_spread,
                                 Py_ssize_t* high_spread, double* sum_half)
    bint skp_bracket_unsure(double low, double high, double tau, double sum_half)
    Py_ssize_t skp_keep_at_most_f64(const double* src, Py_ssize_t n, double bound,
                                    double* dst)
    double skp_sum_and_excess_f32(const float* values, Py_ssize_t n, double low, double* excess)
    double skp_sum_and_excess_f64(const double* values, Py_ssize_t n, double low, double* excess)
    double skp_positive_sum_f32(const float* values, Py_ssize_t n)
    double skp_positive_sum_f64(const double* values, Py_ssize_t n)
    Py_ssize_t skp_keep_above_f32(const float* src, Py_ssize_t n, Py_ssize_t step, double rho,
                                  int magnitudes, float* dst, double* sum)
    Py_ssize_t skp_keep_above_f64(const double* src, Py_ssize_t n, Py_ssize_t step, double rho,
                                  int magnitudes, double* dst, double* sum)
    void skp_shrink_f32(const float* src, float* dst, Py_ssize_t n, double tau, int magnitudes,
                        int stream)
    float skp_shrink_by_two_floats(float value, float hi, float lo, int magnitudes)
    void skp_shrink_f64(const double* src, double* dst, Py_ssize_t n, double tau, int magnitudes,
                        int stream)
    int skp_shrink512_f32(const float* src, float* dst, Py_ssize_t n, double tau,
                          int magnitudes, int stream)
    int skp_shrink_short_rows512_f32(const float* src, Py_ssize_t src_stride, float* dst,
                                     Py_ssize_t dst_stride, Py_ssize_t n_rows, Py_ssize_t n,
                                     const double* taus)
    int skp_shrink_short_rows512_f64(const double* src, Py_ssize_t src_stride, double* dst,
                                     Py_ssize_t dst_stride, Py_ssize_t n_rows, Py_ssize_t n,
                                     const double* taus)
    int skp_select_f64(double* values, Py_ssize_t n, Py_ssize_t k, double* scratch,
                       double* result)
    float skp_select_f32(float* values, Py_ssize_t n, Py_ssize_t k, float* spare0,
                         float* spare1)
    int skp_sum_and_excess512_f32(const float* values, Py_ssize_t n, double low,
                                  double* excess, double* total)
    int skp_scan_cached_f32(const float* row, Py_ssize_t n, double low, double high,
                            int magnitudes, int widen, double radius, skp_scan* scan,
                            float* buffer,
                            Py_ssize_t capacity)


# The streaming loops over a matrix's rows (chosen at run time; see
# _streaming_simd.h): group norms and the bi-level write pass.
cdef extern from "_streaming_simd.h" nogil:
    double skp_row_norm_f32(const float* row, Py_ssize_t n, int kind, int* clean,
                            Py_ssize_t ahead)
    double skp_row_norm_f64(const double* row, Py_ssize_t n, int kind, Py_ssize_t ahead)
    int skp_group_norms_f32(const float* base, Py_ssize_t row_stride, Py_ssize_t n_rows,
                            Py_ssize_t n_cols, double* norms, int kind, int groups_are_rows)
    void skp_sqrt_all(double* norms, Py_ssize_t n)
    void skp_kept_factors(double* radii, Py_ssize_t n, double tau, int rescale,
                          float* factors32, double* factors64)
    double skp_norms_sum(const double* values, Py_ssize_t n)
    double skp_norms_sum_portable(const double* values, Py_ssize_t n)
    int skp_group_norms_f64(const double* base, Py_ssize_t row_stride, Py_ssize_t n_rows,
                            Py_ssize_t n_cols, double* norms, int kind, int groups_are_rows)
    int skp_row_maxima_f64(const double* base, Py_ssize_t row_stride, Py_ssize_t n_rows,
                           Py_ssize_t n_cols, double* norms)
    int skp_column_maxima_f64(const double* base, Py_ssize_t row_stride, Py_ssize_t n_rows,
                              Py_ssize_t n_cols, double* norms)
    void skp_stream_zero(char* dst, Py_ssize_t n)
    void skp_stream_fence()
    void skp_write_row_f32(const float* src, float* dst, Py_ssize_t n, int rescale, float level,
                           const float* levels, int stream)
    void skp_write_row_f64(const double* src, double* dst, Py_ssize_t n, int rescale,
                           double level, const double* levels, int stream)
    int skp_write_row512_f32(const float* src, float* dst, Py_ssize_t n, int rescale,
                             float level, const float* levels, int stream)
    int skp_write_row512_f64(const double* src, double* dst, Py_ssize_t n, int rescale,
                             double level, const double* levels, int stream)
    int skp_write_kept_row_f32(const float* src, float* dst, Py_ssize_t n, int rescale,
                               const float* levels, const float* next)
    int skp_write_kept_row_f64(const double* src, double* dst, Py_ssize_t n, int rescale,
                               const double* levels, const double* next)
    int skp_write_short_rows_f32(const float* src, float* dst, Py_ssize_t n_rows,
                                 Py_ssize_t n, int rescale, const float* levels)
    int skp_write_short_rows_f64(const double* src, double* dst, Py_ssize_t n_rows,
                                 Py_ssize_t n, int rescale, const double* levels)
    enum: SKP_FLAT_ROW_BYTES
    int skp_write_rows_flat_f32(const float* src, float* dst, Py_ssize_t n_rows,
                                Py_ssize_t n, int rescale, const float* levels)
    int skp_write_rows_flat_f64(const double* src, double* dst, Py_ssize_t n_rows,
                                Py_ssize_t n, int rescale, const double* levels)
    int skp_write_strips512_f32(const float* src, Py_ssize_t src_stride, float* dst,
                                Py_ssize_t dst_stride, Py_ssize_t n_rows, Py_ssize_t n,
                                int rescale, const float* levels)
    int skp_write_strips512_f64(const double* src, Py_ssize_t src_stride, double* dst,
                                Py_ssize_t dst_stride, Py_ssize_t n_rows, Py_ssize_t n,
                                int rescale, const double* levels)
    enum: SKP_NARROW_MAX_VECTORS
    enum: SKP_NARROW_LARGE_VECTORS
    int skp_write_narrow512_f32(const float* src, Py_ssize_t src_stride, float* dst,
                                Py_ssize_t dst_stride, Py_ssize_t n_rows, Py_ssize_t n,
                                int rescale, const float* levels, int most, int stream)
    int skp_write_narrow512_f64(const double* src, Py_ssize_t src_stride, double* dst,
                                Py_ssize_t dst_stride, Py_ssize_t n_rows, Py_ssize_t n,
                                int rescale, const double* levels, int most, int stream)
    int skp_write_narrow256_f32(const float* src, Py_ssize_t src_stride, float* dst,
                                Py_ssize_t dst_stride, Py_ssize_t n_rows, Py_ssize_t n,
                                int rescale, const float* levels)
    int skp_write_narrow256_f64(const double* src, Py_ssize_t src_stride, double* dst,
                                Py_ssize_t dst_stride, Py_ssize_t n_rows, Py_ssize_t n,
                                int rescale, const double* levels)


# Whether those loops run (the CPU has AVX2 and no test turned them off).
cdef bint simd_enabled() noexcept nogil


cdef enum:
    STREAM_BYTES = 1 << 23    # results of 8 MiB and more are written past the caches
    STREAM_ROW_BYTES = 1 << 10  # ... in rows of 1 KiB and more (``streams_rows``)
    SHORT_GROUP = 512         # groups up to this long: Michelot's passes without compaction
    HALVES_BYTES = 1 << 24    # inputs of 16 MiB and more are projected in two halves
                              # (_threads.h: a half on a thread of its own)


# The threads that run those halves: 1 or 2 (_thread_setting.h; the one
# setting of every kernel, which threadpoolctl's controller sets).
cdef int half_threads() noexcept nogil


# A large array's memory and the work of each of its two halves, blocks of
# rows or of columns (``run_halves``; split 0: the whole, as the first): a
# kernel's job on a half's views,
# float32 and float64, and its own record of the half's work and results.
ctypedef void (*HalfJob32)(void* half, const float[:, :] y, float[:, :] x) noexcept nogil
ctypedef void (*HalfJob64)(void* half, const double[:, :] y, double[:, :] x) noexcept nogil

ctypedef struct Halves:
    char* y
    char* x                # (NULL where the work writes nothing)
    Py_ssize_t n_rows, n_cols, y_row, y_col, x_row, x_col    # (strides in bytes)
    bint single
    HalfJob32 job32
    HalfJob64 job64


cdef void run_halves(const Halves* whole, Py_ssize_t split, bint by_rows, void* first,
                     void* second) noexcept nogil


cdef inline void set_block(Halves* whole, const floating[:, :] y, char* x, Py_ssize_t x_row,
                           Py_ssize_t x_col) noexcept nogil:
    """``whole``'s block: ``y``'s memory, shape and strides, and the result's
    memory at ``x`` with strides ``x_row``, ``x_col`` in bytes (NULL where the
    work writes nothing); the caller sets the jobs."""
    whole.y = <char*> &y[0, 0]
    whole.x = x
    whole.n_rows, whole.n_cols = y.shape[0], y.shape[1]
    whole.y_row, whole.y_col, whole.x_row, whole.x_col = y.strides[0], y.strides[1], x_row, x_col
    whole.single = floating is float


cdef enum:
    # A matrix's groups in halves (``group_split``): at least this many groups.
    # Column halves of fewer columns share and stream short pieces of each
    # row: few long columns lost to one thread (bilevel_l11, 100000 x 100
    # float32 1.35-1.61 times as long, 300000 x 40 1.86-2.51, where 20000 x
    # 500 took 0.58-0.80 of the time); row halves are blocks of whole rows
    # (100 x 100000 and 500 x 20000 0.52-0.93 over two runs).
    HALVES_LEAST_COLUMNS = 512
    HALVES_LEAST_ROWS = 32


cdef inline Py_ssize_t group_split(const floating[:, :] y, bint groups_are_rows) noexcept nogil:
    """The first group of a large matrix's second half (a multiple of 16, so that
    a half's columns start on a line where the first's do; ``run_halves``):
    HALVES_BYTES or more, and HALVES_LEAST_ROWS row groups or
    HALVES_LEAST_COLUMNS column groups at least; 0: one piece."""
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    if (n_groups < (HALVES_LEAST_ROWS if groups_are_rows else HALVES_LEAST_COLUMNS)
            or y.shape[0] * y.shape[1] * <Py_ssize_t> sizeof(floating) < HALVES_BYTES):
        return 0
    return n_groups // 32 * 16


# Reorder ``values`` so that ``values[k]`` is its k-th smallest, those before
# it at most and those after it at least it (Hoare's selection).
cdef void _select(double* values, Py_ssize_t n, Py_ssize_t k) noexcept nogil


cdef inline bint streams(Py_ssize_t result_bytes) noexcept nogil:
    """Whether a result this large is written with non-temporal stores.

    Below a few MiB the result may stay in cache for its reader; above, a
    plain store first reads each line it writes.
    """
    return result_bytes >= STREAM_BYTES


# Whether a result of ``n_rows`` rows of ``row_bytes`` each, written a row at a
# time, is written with non-temporal stores (a large result of long rows).
cdef bint streams_rows(Py_ssize_t n_rows, Py_ssize_t row_bytes) noexcept nogil


cdef inline bint zero_result(floating[:, :] x, bint stream) noexcept nogil:
    """Zero ``x`` if it is C-contiguous (return whether it was), by non-temporal
    stores with ``stream`` (fenced here).

    glibc's memset writes 80 MB through the caches, reading every line first:
    about 0.8 of a copy, where non-temporal stores cost about 0.4.
    """
    if not (stream and simd_enabled() and c_contiguous(x)):
        return zero_if_contiguous(x)
    skp_stream_zero(<char*> &x[0, 0], x.shape[0] * x.shape[1] * sizeof(floating))
    skp_stream_fence()
    return True


cdef inline void zero_result_row(floating* dst, Py_ssize_t n, Py_ssize_t step,
                                 bint stream) noexcept nogil:
    """Zero a row of a result (``step`` between its values), by non-temporal
    stores where the result is streamed (``stream``) and the row contiguous.

    glibc's memset writes a row through the caches, reading every line
    first: a zeroed row cost twice a streamed one (half the rows of
    ``bilevel_l11`` on 1000 x 10000 float32 at half the groups kept took a
    fifth of its time in memset).  The caller fences (``skp_stream_fence``).
    """
    if step == 1 and stream and simd_enabled():
        skp_stream_zero(<char*> dst, n * sizeof(floating))
    elif step == 1:
        zero_row(dst, n, 1)
    else:
        zero_row(dst, n, step)


cdef inline void write_row_simd(const floating* src, floating* dst, Py_ssize_t n,
                                bint rescale, floating level, const floating* levels,
                                bint stream) noexcept nogil:
    """One contiguous row clipped (or rescaled) by the loops of ``_streaming_simd.h``.

    ``levels``: one per column, else ``level`` for the row.  The AVX-512 loop
    where the CPU has it (streamed too: whole lines; see
    ``skp_write_row512_f32``), else the AVX2 one: the caller checks that
    AVX2 runs (``simd_enabled``, or its own switch), and that this module's
    copy of the header's AVX-512 switch is set (``skp_set_avx512``).  The
    bi-level kernels' and the exact l1,inf ball's row write.
    """
    if floating is float:
        if not skp_write_row512_f32(src, dst, n, rescale, level, levels, stream):
            skp_write_row_f32(src, dst, n, rescale, level, levels, stream)
    else:
        if not skp_write_row512_f64(src, dst, n, rescale, level, levels, stream):
            skp_write_row_f64(src, dst, n, rescale, level, levels, stream)


cdef inline bint write_rows_at_once(const floating* src, floating* dst, Py_ssize_t n_rows,
                                    Py_ssize_t n, bint rescale,
                                    const floating* levels) noexcept nogil:
    """Contiguous rows of ``n`` values lying one after the other, in ``src``
    and ``dst``, each clipped to (or rescaled by) its ``levels[i]``, written
    as one block rather than a call a row: rows of at most 16 values with
    AVX-512 or AVX2 (``skp_write_short_rows_f32/_f64``), rows shorter than
    SKP_FLAT_ROW_BYTES as one flat run of vectors with AVX-512 or AVX2
    (``skp_write_rows_flat_f32/_f64``); a row whose level is 0 is written +0.
    The row write's operations, so the same bits.  False (nothing written)
    where neither suits the rows or the CPU.  The bi-level kernels' and the
    exact l1,inf ball's row write; the caller checks that AVX2 runs and that
    the result is not streamed.
    """
    if floating is float:
        return (skp_write_short_rows_f32(src, dst, n_rows, n, rescale, levels)
                or skp_write_rows_flat_f32(src, dst, n_rows, n, rescale, levels))
    else:
        return (skp_write_short_rows_f64(src, dst, n_rows, n, rescale, levels)
                or skp_write_rows_flat_f64(src, dst, n_rows, n, rescale, levels))


cdef enum:
    # Column groups of at most this many bytes (in L2 with their result) are
    # written by strips (``write_strips``; as _bilevel_simd.h's panel writes
    # by SKP_STRIP_BYTES).
    STRIP_WRITE_BYTES = 1 << 20


cdef inline bint write_strips(const floating[:, :] y, floating[:, :] x, bint rescale,
                              const floating* levels) noexcept nogil:
    """Column groups of a block in cache clipped (or rescaled) by strips, each
    column's level (or factor) ``levels[j]`` held in registers down the rows
    (``skp_write_strips512_f32/_f64``: the row write's operations, so the
    same bits); False (nothing written) where the block is larger than
    STRIP_WRITE_BYTES, the CPU prefers the rows (``skp_strips_suit``) or this
    module's AVX-512 switch is off.  The caller checks that the rows are
    contiguous in ``y`` and ``x`` and that AVX2 runs.  The bi-level kernels'
    and the exact l1,inf ball's writes of column groups."""
    if y.shape[0] * y.shape[1] * <Py_ssize_t> sizeof(floating) > STRIP_WRITE_BYTES:
        return False
    if write_narrow(y, x, rescale, levels):
        return True
    if floating is float:
        return skp_write_strips512_f32(&y[0, 0], y.strides[0], &x[0, 0], x.strides[0],
                                       y.shape[0], y.shape[1], rescale, levels)
    return skp_write_strips512_f64(&y[0, 0], y.strides[0], &x[0, 0], x.strides[0],
                                   y.shape[0], y.shape[1], rescale, levels)


cdef inline bint write_narrow(const floating[:, :] y, floating[:, :] x, bint rescale,
                              const floating* levels, bint large=False) noexcept nogil:
    """A block of fewer column groups than two AVX-512 vectors hold
    (SKP_NARROW_MAX_VECTORS; with AVX2, fewer than two of its vectors: 16
    float32, 8 float64), rows one after the other in ``y`` and ``x``,
    clipped (or rescaled) as one run of vectors
    (``skp_write_narrow512_f32/_f64``, ``skp_write_narrow256_f32/_f64``: the
    row write's operations, so the same bits), whatever ``skp_strips_suit``
    says; False (nothing written) elsewhere.  ``large``: a block past the
    strips' size (whose alternative is a call a row), of fewer columns than
    SKP_NARROW_LARGE_VECTORS AVX-512 vectors hold, streamed where it is
    STREAM_BYTES or more.  The caller checks that AVX2 runs."""
    cdef int most = SKP_NARROW_LARGE_VECTORS if large else SKP_NARROW_MAX_VECTORS
    cdef bint stream = large and streams(y.shape[0] * y.shape[1] * sizeof(floating))
    if floating is float:
        return (skp_write_narrow512_f32(&y[0, 0], y.strides[0], &x[0, 0], x.strides[0],
                                        y.shape[0], y.shape[1], rescale, levels, most, stream)
                or skp_write_narrow256_f32(&y[0, 0], y.strides[0], &x[0, 0], x.strides[0],
                                           y.shape[0], y.shape[1], rescale, levels))
    return (skp_write_narrow512_f64(&y[0, 0], y.strides[0], &x[0, 0], x.strides[0],
                                    y.shape[0], y.shape[1], rescale, levels, most, stream)
            or skp_write_narrow256_f64(&y[0, 0], y.strides[0], &x[0, 0], x.strides[0],
                                       y.shape[0], y.shape[1], rescale, levels))


cdef inline bint mostly_zero_lines(const floating* levels, Py_ssize_t n) noexcept nogil:
    """Whether at least half of a row's vectors of column levels (a cache line
    of values each) are all zero: there ``write_kept_columns`` pays (see
    ``skp_write_kept_row512_f32``)."""
    cdef Py_ssize_t lanes = 64 // sizeof(floating), j = 0, k, zero_vectors = 0
    while j + lanes <= n:
        k = 0
        while k < lanes and levels[j + k] == 0:
            k += 1
        zero_vectors += k == lanes
        j += lanes
    return 2 * zero_vectors >= n // lanes and zero_vectors > 0


cdef inline void write_kept_columns(const floating* src, floating* dst, Py_ssize_t n,
                                    bint rescale, const floating* levels,
                                    const floating* next) noexcept nogil:
    """One contiguous row of column groups streamed, clipped (or rescaled) by
    ``levels``, reading only the lines of ``src`` under a non-zero level
    (``skp_write_kept_row512_f32`` with AVX-512, else ``_row256_``;
    ``next``: the next row, whose kept lines they prefetch, or NULL), else
    every one (``write_row_simd``).  For results streamed past the caches
    whose levels are ``mostly_zero_lines``; the caller checks that AVX2 runs
    and fences."""
    if floating is float:
        if skp_write_kept_row_f32(src, dst, n, rescale, levels, next):
            return
    else:
        if skp_write_kept_row_f64(src, dst, n, rescale, levels, next):
            return
    write_row_simd(src, dst, n, rescale, 0, levels, True)


cdef double michelot_above(floating* values, Py_ssize_t n, double total, double fixed_count,
                           double fixed_sum, double radius, double* support) noexcept nogil
cdef double michelot_above_into(const double* values, Py_ssize_t n, double total, double radius,
                                double* work, double* support) noexcept nogil
cdef double group_threshold(floating* values, Py_ssize_t n, double total, double radius,
                            double* support) noexcept nogil
cdef Py_ssize_t keep_above(const floating* src, Py_ssize_t n, Py_ssize_t step, double rho,
                           bint magnitudes, floating* dst, double* total) noexcept nogil
cdef void shrink_row(const floating* src, Py_ssize_t n, Py_ssize_t step_y,
                     floating* dst, Py_ssize_t step_x, double tau, bint stream) noexcept nogil


cdef inline bint shrink_rows_at_once(const floating* src, Py_ssize_t src_stride, floating* dst,
                                     Py_ssize_t dst_stride, Py_ssize_t n_rows, Py_ssize_t n,
                                     const double* taus) noexcept nogil:
    """Row i of ``n`` contiguous values (rows ``src_stride``, ``dst_stride``
    bytes apart) written as ``shrink_row`` writes it by ``taus[i]`` (the same
    bits), a row whose tau is infinite +0, in one call with AVX-512
    (``skp_shrink_short_rows512_f32/_f64``); False (nothing written) where
    this module's AVX-512 loops do not run.  The caller checks that AVX2
    runs (``simd_enabled``) and that the result is not streamed.
    """
    if floating is float:
        return skp_shrink_short_rows512_f32(src, src_stride, dst, dst_stride, n_rows, n, taus)
    else:
        return skp_shrink_short_rows512_f64(src, src_stride, dst, dst_stride, n_rows, n, taus)
