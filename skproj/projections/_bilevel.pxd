# The norm inside each group, shared with the Python layer.
cpdef enum NormKind:
    NORM_MAX = 0
    NORM_L1 = 1
    NORM_L2 = 2
