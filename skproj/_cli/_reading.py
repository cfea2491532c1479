"""Reading the data of the command line: CSV/TSV with pandas, AnnData .h5ad, the built-in set.

Every problem a user can fix ends in :class:`DataError` with one line that
names the column, the row and what to do.
"""

import csv
import difflib
import gzip
import io
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from skproj._cli._arguments import is_h5ad

# Columns taken as the label when --label is not given, in this order.
LABEL_NAMES = ("label", "class", "target", "y", "cell_type", "celltype", "leiden", "louvain")
SEPARATORS = ",\t;|"
# Enough lines to detect the delimiter; a line of a wide table can be long.
_SNIFF_LINES = 5


def quoted(value):
    """``repr`` of a value as the user wrote it (``'a'``, not ``np.str_('a')``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


class DataError(Exception):
    """A problem with the user's data, said in one line."""


@dataclass
class Dataset:
    """What the run needs from the input."""

    X: object  # ndarray or scipy sparse matrix, samples x features
    y: np.ndarray
    feature_names: np.ndarray
    source: str
    label: str
    adata: object = None  # the AnnData read from an .h5ad input
    informative: np.ndarray = None  # the built-in data's truth
    notes: list = field(default_factory=list)


def _describe_names(names, limit=100):
    names = [str(name) for name in names]
    shown = ", ".join(repr(name) for name in names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def _not_a_column(option, name, columns, where):
    columns = [str(column) for column in columns]
    close = difflib.get_close_matches(name, columns, n=5, cutoff=0.6)
    close += [c for c in columns if c.strip().lower() == name.strip().lower() and c not in close]
    hint = f"; did you mean {_describe_names(close)}?" if close else ""
    return DataError(f"{option} {name!r} is not a column of {where}{hint} "
                     f"The {len(columns)} columns are: {_describe_names(columns)}")


def _choose_label(label, columns, where, fallback=None):
    """``--label``, else a column named like a label, else ``fallback``."""
    if label is not None:
        if label not in columns:
            raise _not_a_column("--label", label, columns, where)
        return label
    lowered = {str(column).strip().lower(): column for column in columns}
    for name in LABEL_NAMES:
        if name in lowered:
            return lowered[name]
    if fallback is not None:
        return fallback
    raise DataError(f"{where}: no label column found (none is named "
                    f"{', '.join(LABEL_NAMES)}); choose one with --label among "
                    f"{_describe_names(columns)}")


def _labels(values, label, where, sample_name):
    missing = np.flatnonzero(_is_missing(values))
    if missing.size:
        raise DataError(
            f"{where}: the label column {label!r} is empty for {len(missing)} "
            f"sample(s), the first {sample_name(missing[0])}; fill them in or remove "
            "those rows")
    return np.asarray(values)


def _is_missing(values):
    import pandas as pd

    return np.asarray(pd.isna(values))


def _open_text(path):
    if str(path).lower().endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def detect_separator(path):
    """The delimiter of a CSV/TSV, detected from its first lines (',' when unsure)."""
    with _open_text(path) as handle:
        lines = [line for _, line in zip(range(_SNIFF_LINES), handle)]
    sample = "".join(lines)
    try:
        return csv.Sniffer().sniff(sample, delimiters=SEPARATORS).delimiter
    except csv.Error:
        header = lines[0] if lines else ""
        counts = {separator: header.count(separator) for separator in SEPARATORS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _row_namer(index_values):
    """A function naming the sample of a 0-based data row, as the user sees it."""

    def name(row):
        where = f"row {row + 1} (line {row + 2} of the file)"
        if index_values is not None:
            where = f"sample {quoted(index_values[row])}, " + where
        return where

    return name


def _unnamed_label(frame, index_col, drop):
    """The label when no column is named like one: the only text column, else the last."""
    candidates = [c for c in frame.columns if c != index_col and c not in drop]
    text = [c for c in candidates if not _is_numeric(frame[c])]
    return text[0] if len(text) == 1 else candidates[-1] if candidates else None


def _is_numeric(column):
    import pandas as pd

    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _numeric_block(frame, path, sample_name, label_given):
    """The feature columns as a float64 array, or a DataError naming the first bad cell."""
    import pandas as pd

    bad_columns = []
    for name in frame.columns:
        column = frame[name]
        if not _is_numeric(column):
            numbers = pd.to_numeric(column, errors="coerce")
            unreadable = np.flatnonzero(np.asarray(numbers.isna() & column.notna()))
            if unreadable.size or pd.api.types.is_bool_dtype(column):
                bad_columns.append((name, unreadable[0] if unreadable.size else 0))
    if bad_columns:
        name, row = bad_columns[0]
        others = [other for other, _ in bad_columns[1:]]
        more = (f" ({len(others)} more non-numeric column(s): {_describe_names(others, 10)})"
                if others else "")
        raise DataError(
            f"{path}: column {name!r} is not numeric: {sample_name(row)} holds "
            f"{quoted(frame[name].iloc[row])}{more}. Every column but the label must hold numbers; "
            f"if {name!r} names the samples pass --index-col {name}, to leave it out "
            f"--drop {name}" + ("" if label_given else f", if it holds the classes --label {name}"))
    values = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(values)
    if missing.any():
        row, column = np.argwhere(missing)[0]
        columns = frame.columns[missing.any(axis=0)]
        raise DataError(
            f"{path}: missing value in column {frame.columns[column]!r}, {sample_name(row)}; "
            f"{missing.sum()} empty or NA cell(s) in {len(columns)} column(s) "
            f"({_describe_names(columns, 10)}). skproj needs a number in every cell: impute "
            "them (e.g. with the column's median), or leave those columns out with --drop")
    infinite = np.isinf(values)
    if infinite.any():
        row, column = np.argwhere(infinite)[0]
        raise DataError(f"{path}: infinite value in column {frame.columns[column]!r}, "
                        f"{sample_name(row)}; replace it by a finite number")
    return values


def read_table(path, *, label=None, sep=None, index_col=None, drop=()):
    """Read a CSV/TSV of samples x features with a header row."""
    import pandas as pd

    separator = sep if sep is not None else detect_separator(path)
    try:
        frame = pd.read_csv(path, sep=separator, encoding="utf-8-sig", low_memory=False)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; it needs a header row and samples") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot be read as a table with delimiter {separator!r} "
                        f"({error}); pass --sep") from None
    frame.columns = [str(column).strip() for column in frame.columns]
    columns = list(frame.columns)
    if len(frame) == 0:
        raise DataError(f"{path}: a header row but no samples")
    for name in list(drop) + [index_col]:
        if name is not None and name not in columns:
            option = "--drop" if name in drop else "--index-col"
            raise _not_a_column(option, name, columns, path)
    label_given = label is not None
    label = _choose_label(label, columns, path, fallback=_unnamed_label(frame, index_col, drop))
    if label == index_col or label in drop:
        option = "--index-col" if label == index_col else "--drop"
        raise DataError(f"{option} {label!r} is the label column; choose another --label")
    index_values = None if index_col is None else frame[index_col].to_numpy()
    sample_name = _row_namer(index_values)
    y = _labels(frame[label].to_numpy(), label, path, sample_name)
    features = [c for c in columns if c != label and c != index_col and c not in drop]
    notes = [f"delimiter {separator!r}" + (" (detected)" if sep is None else ""),
             f"label column {label!r}" + ("" if label_given else " (--label to choose)")]
    if index_col is not None:
        notes.append(f"sample IDs in {index_col!r}")
    if drop:
        notes.append(f"left out {', '.join(map(repr, drop))}")
    if not features:
        hint = ("; the file was read as a single column: pass --sep" if len(columns) == 1
                else "")
        raise DataError(f"{path}: no feature column left besides the label {label!r}{hint}")
    X = _numeric_block(frame[features], path, sample_name, label_given)
    return Dataset(X, y, np.array(features, dtype=object), str(path), label, notes=notes)


def read_h5ad(path, *, label=None):
    """Read an AnnData .h5ad: samples x genes in ``X`` (dense or sparse), the label in ``obs``."""
    import anndata

    adata = anndata.read_h5ad(path)
    columns = list(adata.obs.columns)
    where = f"the obs of {path}"
    label = _choose_label(label, columns, where)
    names = adata.obs_names.to_numpy()
    y = _labels(adata.obs[label].to_numpy(), label, path,
                lambda row: f"observation {quoted(names[row])}")
    X = adata.X
    if X is None:
        raise DataError(f"{path}: the AnnData has no X matrix")
    _check_real_finite(X, path, names, adata.var_names)
    notes = [f"label obs column {label!r}",
             "X " + (f"sparse ({X.nnz} non-zeros)" if sp.issparse(X) else "dense")]
    return Dataset(X, y, adata.var_names.to_numpy(dtype=object), str(path), label,
                   adata=adata, notes=notes)


def _check_real_finite(X, path, obs_names, var_names):
    """A DataError unless every stored value of ``X`` (dense or sparse) is a finite real."""
    values = X.data if sp.issparse(X) else np.asarray(X)
    real = np.issubdtype(values.dtype, np.integer) or np.issubdtype(values.dtype, np.floating)
    if not real:
        raise DataError(f"{path}: X holds {values.dtype} values, not real numbers")
    if np.isfinite(values).all():
        return
    if sp.issparse(X):
        coo = X.tocoo()
        first = np.flatnonzero(~np.isfinite(coo.data))[0]
        row, column = coo.row[first], coo.col[first]
    else:
        row, column = np.argwhere(~np.isfinite(values))[0]
    raise DataError(f"{path}: X is not finite (NaN or inf) at observation "
                    f"{quoted(obs_names[row])}, gene {quoted(var_names[column])}; impute it first")


def builtin_data(n_informative, random_state):
    """The papers' data-N (:func:`skproj.datasets.make_sparse_classification`)."""
    from skproj.datasets import make_sparse_classification

    X, y, informative = make_sparse_classification(n_informative, random_state=random_state)
    names = np.array([f"x{i}" for i in range(X.shape[1])], dtype=object)
    source = f"built-in data-{n_informative} (make_sparse_classification)"
    return Dataset(X, y, names, source, "y", informative=informative)


def read_data(args):
    """The Dataset the arguments name."""
    if args.data is None:
        n_informative = 64 if args.n_informative is None else args.n_informative
        return builtin_data(n_informative, args.random_state)
    if is_h5ad(args.data):
        return read_h5ad(args.data, label=args.label)
    return read_table(args.data, label=args.label, sep=args.sep, index_col=args.index_col,
                      drop=args.drop)


def class_errors(y, n_folds):
    """Why the labels cannot be cross-validated with ``n_folds`` folds, or None."""
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        return (f"every sample has the same class {quoted(classes[0])}: a classifier needs "
                "at least 2 classes (is --label the right column?)")
    if len(classes) > len(y) / 2:
        return (f"{len(classes)} classes for {len(y)} samples: is --label a column of class "
                "labels (not a measurement or an ID)?")
    if counts.min() < n_folds:
        rare = classes[counts < n_folds]
        return (f"class {quoted(rare[0])} has {counts.min()} sample(s), fewer than the {n_folds} "
                f"folds of --cv: lower --cv (at least 2) or remove the class's samples")
    return None


def feature_errors(X, y):
    """Why no feature can be selected (no feature's mean differs between classes), or None."""
    classes, encoded = np.unique(y, return_inverse=True)
    indicator = np.eye(len(classes))[encoded]
    means = np.asarray(indicator.T @ X) / indicator.sum(axis=0)[:, None]
    if np.ptp(means, axis=0).max() > 0:
        return None
    return ("no feature differs between the classes (are they all constant?), so there is "
            "nothing to select")
