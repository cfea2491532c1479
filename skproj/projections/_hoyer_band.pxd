# The group Hoyer kernel's two halves: ``_hoyer`` reads the matrix (the tops,
# the histograms, the sample, the band reads, the write) and drives;
# ``_hoyer_band`` works on what those reads gathered (the bracket on the
# histograms' bounds, the band's refinement and narrowing, exact g and the
# root search).  Declared here once for both: the constants of the bracket
# and the band, the fields of the sums, the structs they pass each other, and
# the per-entry helpers both halves call in their loops (``cdef inline``, so
# that they stay inlined: a call across modules cannot be).

# Tuning of the bracket and the band (the sample's and the tiles' are in ``_hoyer``).
cdef enum:
    N_BINS = 32
    BRACKET_STEPS = 24
    MAX_ROOT_STEPS = 200
    # Refine the band (bin its entries again) while it holds more than
    # REFINE_FACTOR entries per group, at most MAX_LEVELS times.
    REFINE_FACTOR = 4
    MAX_LEVELS = 3
    # The sampled method narrows its band instead (``_narrow``): g at N_POINTS
    # points a pass, while it holds more than NARROW_FACTOR entries per group.
    N_POINTS = 8
    NARROW_FACTOR = 2

# Fields of a bin's (suffix) sums.
cdef enum:
    SUM_V = 0      # sum of v over the entries with key at or above the edge
    SUM_P = 1      # sum of v * (key - edge)
    SUM_R = 2      # sum of v * (key - edge) ** 2
    N_SUMS = 3


cdef struct Layout:
    Py_ssize_t n_rows, n_cols, n_groups, size
    Py_ssize_t step_y, step_x     # elements between neighbours along a row
    bint groups_are_rows
    bint unit_weights             # every weight is 1 (AVX2 passes of contiguous groups)


cdef struct Summaries:
    double* top          # largest key of each group (0 for an all-zero group)
    double* inv_top      # 1 / top (0 for an all-zero group): the unit of the sums
    Py_ssize_t* argtop   # position of the first entry with that key
    double* rho_one      # rho of the group once 1-sparse (or zero)
    # The binned range of each group: N_BINS bins of this width from base
    # (inv_width 0: the group is not binned, it is 1-sparse on the bracket).
    double* base
    double* width
    double* inv_width
    double* sums         # per group and bin: suffix sums centred at the bin's edge
    double* rho          # per group: rho at the N_BINS + 1 edges
    double* scratch      # N_COPIES histograms of one group (histogram method)


cdef struct Band:
    # The exact model of g on the bracket [lo, hi]: every group's entries with
    # keys in its binned range are in keys/vals; those above it are summed in
    # ``above``, centred at ``center`` (the range's upper end).
    double lo, hi
    Py_ssize_t* start    # group g's entries: [start[g], start[g + 1])
    double* keys
    double* vals
    bint unit_vals       # every v is 1 (the sampled method without weights): vals not written
    double* above
    double* center
    Py_ssize_t reads     # reads of the matrix that gathered a band (diagnostics)


# Per-entry helpers of both halves' loops.
cdef inline Py_ssize_t _bin(double key, double base, double inv_width) noexcept nogil:
    """Bin of a key (or threshold) in a group's range; one expression for both,
    monotone in ``key``, so comparing bins of keys and thresholds is exact."""
    cdef double position = (key - base) * inv_width
    if position <= 0:
        return 0
    return <Py_ssize_t> position if position < N_BINS else N_BINS - 1


cdef inline void _set_range(Summaries* s, Py_ssize_t g, double base, double upper) noexcept nogil:
    s.base[g] = base
    s.width[g] = (upper - base) / N_BINS
    s.inv_width[g] = 1.0 / s.width[g] if s.width[g] > 0 else 0.0


cdef inline void _add_to_bin(double key, double v, double base, double inv_width,
                             double width, double unit, double* sums) noexcept nogil:
    """Add an entry to the bin sums ``sums`` (N_BINS x N_SUMS) of a range.

    Offsets are in units of the group's top (``unit`` = 1 / top), so that the
    squares of a group of small entries do not underflow.
    """
    cdef Py_ssize_t b = _bin(key, base, inv_width)
    cdef double d = (key - (base + b * width)) * unit
    cdef double* bin_sums = sums + b * N_SUMS
    bin_sums[SUM_V] += v
    bin_sums[SUM_P] += v * d
    bin_sums[SUM_R] += v * d * d


cdef inline bint _band_bins(Summaries* s, Py_ssize_t g, double lo, double hi,
                            Py_ssize_t* first, Py_ssize_t* last) noexcept nogil:
    """Bins [first, last] of group g that hold its keys in (lo, hi]; False if none."""
    if s.top[g] <= lo or s.inv_width[g] == 0:
        first[0] = 1
        last[0] = 0
        return False
    first[0] = _bin(lo, s.base[g], s.inv_width[g])
    last[0] = N_BINS - 1 if hi >= s.top[g] else _bin(hi, s.base[g], s.inv_width[g])
    return True


cdef inline bint _narrows(Band* band, Py_ssize_t n_groups) noexcept nogil:
    """Whether ``_narrow`` narrows this band (more than NARROW_FACTOR entries a group)."""
    return band.start[n_groups] > NARROW_FACTOR * n_groups


cdef inline void _narrow_points(double lo, double hi, double* ts) noexcept nogil:
    """The N_POINTS evenly spaced points inside (lo, hi) where ``_narrow`` takes g."""
    cdef Py_ssize_t k
    for k in range(N_POINTS):
        ts[k] = lo + (hi - lo) * (k + 1) / (N_POINTS + 1)


# The vector passes of g on the band (``_hoyer._set_testing`` sets them).
cdef void _set_g_passes(bint vector_points, bint vector_g) noexcept nogil

cdef int _compare_doubles(const void* a, const void* b) noexcept nogil
cdef void _suffix_sums(Summaries* s, Band* band, Py_ssize_t g, double* sums) noexcept nogil
cdef void _bracket(Summaries* s, Py_ssize_t n_groups, double target,
                   Band* band) noexcept nogil
cdef void _narrow_range(Summaries* s, Band* band, Py_ssize_t g, Py_ssize_t first,
                        Py_ssize_t last, const double* sums) noexcept nogil
cdef void _free_band(Band* band) noexcept nogil
cdef int _allocate_entries(Summaries* s, Layout* layout, Band* band, double v_min,
                           bint whole_groups) noexcept nogil
cdef void _compact(Band* band, Py_ssize_t n_groups, const Py_ssize_t* ends) noexcept nogil
cdef void _refine(Summaries* s, Band* band, Py_ssize_t n_groups, double target) noexcept nogil
cdef double _exact_g(Summaries* s, Band* band, Py_ssize_t n_groups, double t,
                     double* slope, double* scales) noexcept nogil
cdef bint _narrow(Summaries* s, Band* band, Py_ssize_t n_groups, double target,
                  const double* first_totals) noexcept nogil
cdef double _root(Summaries* s, Band* band, Py_ssize_t n_groups, double target,
                  double value_lo, double slope_lo) noexcept nogil
