# The half of the exact l1,inf kernel that works on gathered data: the O(G)
# bounds on theta^*, the per-group lists of gathered entries, the envelopes of
# the mu_g from bracketing histograms, and the Newton rounds on the lists.
# Nothing here reads the matrix; ``_l1inf.pyx`` reads it and fills the lists
# (``_l1inf_strips.pyx``, its passes over strips of groups, uses the bounds).

from libc.stdint cimport int32_t
from libc.string cimport memcpy
from skproj.projections._scratch_cache cimport scratch_free, scratch_malloc

cdef extern from *:
    """
    #define SKPROJ_L1INF_SLACK 1e-12
    """
    # Relative slack on the bounds so that rounding never makes them cross.
    const double SLACK "SKPROJ_L1INF_SLACK"

cdef enum:
    # Bins of a bracketing histogram inside [L_g, U_g], plus one below and one above.
    BINS = 16
    SLOTS = BINS + 2


cdef struct GroupLists:
    # The problem, one slot per group: set once, read-only afterwards.
    Py_ssize_t n_groups
    Py_ssize_t group_size
    double* sums            # S_g, the l1 norms
    double* maxima          # M_g
    # The root mean square magnitudes sqrt(Q_g / n), where step 1 took the
    # sums of squares Q_g (``has_rms``; it leaves Q_g here, and the driver
    # takes the roots, ``root_mean_squares``): a feature of the fits of the
    # levels (``group_features``).
    double* rms
    bint has_rms
    # The live groups: active[0:n_active].
    Py_ssize_t* active
    Py_ssize_t n_active
    # The gathered lists: group g's is values[start[g] : start[g] + length[g]],
    # and the entries of group g known to be clipped are counted and summed.
    double* values
    Py_ssize_t n_values
    Py_ssize_t capacity     # slots allocated in values
    Py_ssize_t* start
    Py_ssize_t* length
    double* list_max
    double* above_sum
    Py_ssize_t* above_count
    # The Newton rounds.
    double* level           # mu_g(theta_t)
    double* lower           # L_g <= mu_g^*: list entries at or below are dropped
    double* guess           # lower bound of mu_g(theta_t) that starts Michelot
    double* inv_count       # 1 / above_count
    double* rate            # slope of the chord of mu_g beyond theta_t
    Py_ssize_t* cursor      # sorted finish: clipped prefix of each sorted list
    double* scratch         # group_size doubles
    # The block that holds every array above but ``values`` (``alloc_lists``).
    double* slab


cdef struct Envelope:
    # One live group's histogram, turned into its envelope in place
    # (``fill_envelope``): no second buffer to allocate and fault in, and
    # fewer bytes to read per sweep of the root search.
    # Histogram: h[slot] and inv_count[slot] hold the slot sums and counts.
    # Envelope: h[k] is h at the edge t_k = low + k width (k = 0..BINS,
    # decreasing), inv_count[k] = 1 / #{a >= t_k} (0 for none).
    double h[SLOTS]
    double inv_count[SLOTS]
    double low
    double width
    double total          # S_g = h(0)
    double top            # M_g, h(M_g) = 0


cdef struct RootStart:
    # The envelope sums at the two ends of the first bracket of theta^*
    # (``envelope_roots``), added up as each envelope is filled
    # (``fill_envelope``), while it is still in cache.
    double points[2]
    double lows[2]
    double highs[2]
    double low_slopes[2]
    double high_slopes[2]


cdef inline bint grow(void** buffer, Py_ssize_t* capacity, Py_ssize_t needed,
                      Py_ssize_t itemsize, Py_ssize_t used) noexcept nogil:
    """Make ``buffer[0]`` hold ``needed`` items of ``itemsize`` bytes (doubling).

    ``capacity[0]`` counts the items it holds, the first ``used`` of them
    kept (not the whole capacity: a list doubled from a small start copied
    every item it had room for, 5.7 MB a call of the exact ball on float32
    1000 x 10000 at half the norm, issue 14).  False (the buffer unchanged)
    when out of memory.
    """
    cdef Py_ssize_t new_capacity
    cdef void* grown
    if needed <= capacity[0]:
        return True
    new_capacity = needed if needed > 2 * capacity[0] else 2 * capacity[0]
    # Kept work memory (``_scratch_cache``) has no realloc: copy what is held.
    grown = scratch_malloc(new_capacity * itemsize)
    if grown == NULL:
        return False
    if used > 0:
        memcpy(grown, buffer[0], used * itemsize)
    scratch_free(buffer[0])
    buffer[0] = grown
    capacity[0] = new_capacity
    return True


cdef inline double chord_level(const GroupLists* lists, Py_ssize_t g,
                              double theta) noexcept nogil:
    """Chord of mu_g between (0, M_g) and (S_g, 0) at theta, slightly raised: >= mu_g(theta)."""
    cdef double top = lists.maxima[g]
    cdef double upper = top * (1.0 - theta / lists.sums[g]) * (1.0 + 1e-9)
    return upper if upper < top else top


cdef enum:
    # The features of a group that the fits of the levels use (``group_features``).
    MAX_FEATURES = 3


cdef inline Py_ssize_t feature_count(const GroupLists* lists) noexcept nogil:
    """How many features ``group_features`` gives."""
    return 3 if lists.has_rms else 2


cdef inline double group_feature(const GroupLists* lists, Py_ssize_t g,
                                 Py_ssize_t k) noexcept nogil:
    """Feature k of group g for the fits of its level (``feature_count`` of them).

    M_g, S_g / n and, where step 1 took the sums of squares, the root mean
    square magnitude sqrt(Q_g / n): on 1000 x 10000 Gaussian column groups
    at half the norm the residuals of the fit on the first two are 0.043,
    0.020 with the third (issue 14).  (On 10**5 groups of 100, the
    sampled-bracket path's shapes, 0.081 and 0.030, 15 % fewer passes; but
    the squares doubled step 1's time there, so it goes without.)
    """
    if k == 0:
        return lists.maxima[g]
    if k == 1:
        return lists.sums[g] / lists.group_size
    return lists.rms[g]


cdef inline Py_ssize_t group_features(const GroupLists* lists, Py_ssize_t g,
                                      double* x) noexcept nogil:
    """Group g's features (``group_feature``) in ``x``; how many."""
    cdef Py_ssize_t k
    for k in range(feature_count(lists)):
        x[k] = group_feature(lists, g, k)
    return feature_count(lists)


cdef bint solve_linear(double* a, Py_ssize_t k) noexcept nogil
cdef void root_mean_squares(GroupLists* w) noexcept nogil
cdef bint alloc_lists(GroupLists* w, Py_ssize_t n_groups, Py_ssize_t group_size) noexcept nogil
cdef void free_lists(GroupLists* w) noexcept nogil
cdef bint reserve(GroupLists* w, Py_ssize_t needed, Py_ssize_t used) noexcept nogil
cdef bint append_pairs(GroupLists* w, const double* values, const int32_t* groups,
                       Py_ssize_t n_pairs, const Py_ssize_t* subset, Py_ssize_t n_subset,
                       Py_ssize_t* cursor) noexcept nogil


cdef struct PairSegments:
    # Gathered (entry, group) pairs (values[i], groups[i]) in segments:
    # segment s holds the pairs starts[s * stride] to starts[s * stride + 1] - 1.
    const double* values
    const int32_t* groups
    const Py_ssize_t* starts
    Py_ssize_t stride
    Py_ssize_t n_segments


cdef bint append_sources(GroupLists* w, const PairSegments* sources, Py_ssize_t n_sources,
                         const Py_ssize_t* subset, Py_ssize_t n_subset,
                         Py_ssize_t* cursor) noexcept nogil

cdef double initial_lower_bound(GroupLists* w, double eta) noexcept nogil
cdef double chord_upper_bound(GroupLists* w, double eta, double theta_t) noexcept nogil

cdef void start_roots(RootStart* start, double lo, double hi) noexcept nogil
cdef void fill_envelope(Envelope* e, double lo, double hi, double total, double top,
                        double inv_size, RootStart* start) noexcept nogil
cdef void envelope_above(const Envelope* e, Py_ssize_t k, Py_ssize_t* count,
                         double* total) noexcept nogil
cdef void envelope_bounds(const Envelope* e, double inv_size, double theta, double* low,
                          double* high) noexcept nogil
cdef void envelope_roots(const Envelope* envelopes, Py_ssize_t n, double inv_size,
                         double eta, const RootStart* start, double* theta_low,
                         double* theta_high) noexcept nogil

cdef double solve(GroupLists* w, double eta, double theta_t, int* rounds) noexcept nogil
cdef Py_ssize_t band_violations(GroupLists* w, double theta, const double* band_low,
                                const double* band_high, Py_ssize_t* failed) noexcept nogil
cdef void set_max_rounds(int max_rounds) noexcept nogil
cdef void set_split_simd(int level) noexcept nogil
cdef void set_bound_simd(bint avx2) noexcept nogil
