"""The options of the command line, and the checks that run before any data is read."""

import argparse
import importlib.util
import os
from pathlib import Path

from skproj.projections import MATRIX_CONSTRAINTS

MODELS = {
    "linear": "ProjectionFeatureSelector: a multinomial logistic regression whose weights "
              "stay inside the projection ball (fast)",
    "autoencoder": "SparseSupervisedAutoencoder: the papers' supervised autoencoder whose "
                   "first layer is projected (slower: minutes on wide data)",
}

RULES = {
    "best": "the best mean accuracy",
    "one_standard_error": "the smallest radius whose mean accuracy is within one standard "
                          "error of the best (shorter feature lists at no significant loss)",
}

_PROJECTION_DESCRIPTIONS = {
    "bilevel_l1inf": "bi-level l1,inf (linear time; the papers' choice)",
    "bilevel_l11": "bi-level l1,1",
    "bilevel_l12": "bi-level l1,2",
    "l1inf_ball": "exact Euclidean projection onto the l1,inf ball",
    "l12_ball": "exact Euclidean projection onto the l1,2 (group lasso) ball",
}
# Every projection the estimators accept, described where we know it.
PROJECTIONS = {name: _PROJECTION_DESCRIPTIONS.get(name, name) for name in MATRIX_CONSTRAINTS}

H5AD_SUFFIXES = (".h5ad",)


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(
            f"{text} is not a positive finite radius (a radius of 0 keeps no feature)")
    return value


def _int_at_least(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is less than {minimum}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


def _n_jobs(text):
    value = _int_at_least(-(2**31))(text)
    if value == 0:
        raise argparse.ArgumentTypeError("0 jobs: use 1 (no parallelism) or -1 (all cores)")
    return value


def _separator(text):
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "space": " "}
    separator = named.get(text.lower(), text)
    if len(separator) != 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not one character (or one of {', '.join(named)})")
    return separator


def _choices_help(descriptions, default):
    return "; ".join(
        f"{name}: {text}" + (" (default)" if name == default else "")
        for name, text in descriptions.items()
    )


def build_parser():
    """The ``argparse`` parser of ``skproj``."""
    parser = argparse.ArgumentParser(
        prog="skproj",
        description=(
            "Select the features that classify the samples of a table, under a structured "
            "sparsity constraint whose radius eta is chosen by cross-validation; report the "
            "accuracy and write the ranked selected features."
        ),
        epilog=(
            "Input: a CSV or TSV with a header row, one sample per row, one column of class "
            "labels and numeric feature columns (e.g. genes); or an AnnData .h5ad (samples "
            "x genes, the label an obs column). Example: skproj expression.csv --label "
            "diagnosis --index-col sample_id --output genes.csv"
        ),
    )
    data = parser.add_argument_group("input")
    data.add_argument(
        "data", nargs="?",
        help="CSV/TSV file (optionally .gz) or AnnData .h5ad; without it, the built-in "
             "synthetic data-64 (1000 samples x 1000 features, 64 informative)")
    data.add_argument(
        "--label", metavar="COLUMN",
        help="the column (CSV/TSV) or obs column (.h5ad) of class labels; default: a column "
             "named label, class, target, y, cell_type, leiden or louvain, else (CSV/TSV "
             "only) the only non-numeric column, else the last column")
    data.add_argument(
        "--sep", type=_separator, metavar="CHAR",
        help="CSV/TSV delimiter, e.g. ',' ';' or tab; default: detected from the first lines")
    data.add_argument(
        "--index-col", metavar="COLUMN",
        help="CSV/TSV column of sample IDs (not a feature); errors then name the samples by it")
    data.add_argument(
        "--drop", metavar="COLUMN", nargs="+", action="extend", default=[],
        help="CSV/TSV columns to leave out (e.g. other annotations); repeatable")
    data.add_argument(
        "--n-informative", type=_int_at_least(1), metavar="N",
        help="built-in data only: number of informative features (default: 64)")

    model = parser.add_argument_group("model and cross-validation")
    model.add_argument(
        "--model", choices=list(MODELS), default="linear",
        help=_choices_help(MODELS, "linear"))
    model.add_argument(
        "--projection", choices=list(PROJECTIONS), default="bilevel_l1inf", metavar="NAME",
        help="the sparsity constraint; " + _choices_help(PROJECTIONS, "bilevel_l1inf"))
    model.add_argument(
        "--etas", type=_positive_float, nargs="+", metavar="ETA",
        help="radii to try (> 0; smaller keeps fewer features); default: --n-etas radii "
             "computed from the data, from one that keeps one feature to the one where the "
             "constraint stops binding (linear), or 5 around the model's default radius "
             "(autoencoder)")
    model.add_argument(
        "--n-etas", type=_int_at_least(2), default=8, metavar="N",
        help="number of radii of the default grid of the linear model (default: %(default)s)")
    model.add_argument(
        "--rule", choices=list(RULES), default="best",
        help="how the radius is chosen from the cross-validated accuracies; "
             + _choices_help(RULES, "best"))
    model.add_argument(
        "--cv", type=_int_at_least(2), default=4, metavar="K",
        help="folds of the stratified cross-validation (default: %(default)s)")
    model.add_argument(
        "--n-jobs", type=_n_jobs, default=None, metavar="N",
        help="folds fitted in parallel (-1: all cores; default: 1)")
    model.add_argument(
        "--random-state", type=int, default=0, metavar="SEED",
        help="seed of the folds, the built-in data and the autoencoder (default: %(default)s)")

    output = parser.add_argument_group("output")
    output.add_argument(
        "--top", type=_int_at_least(0), default=20, metavar="N",
        help="selected features to print (default: %(default)s; all are written to --output)")
    output.add_argument(
        "--output", metavar="CSV",
        help="write the ranked selected features (rank, feature, importance) here; default "
             "for a data file: <file name>_ranked.csv in the current directory")
    output.add_argument(
        "--output-h5ad", metavar="H5AD",
        help=".h5ad input only: write the AnnData with the ranking (in .uns['skproj'], the "
             "layout of scanpy's rank_genes_groups, and .var columns) here; default: "
             "<file name>_skproj.h5ad in the current directory")
    output.add_argument(
        "--plot", metavar="IMAGE",
        help="save a figure (accuracy and features kept against eta, importances) here "
             "(.png, .pdf, .svg; needs matplotlib)")
    output.add_argument(
        "-q", "--quiet", action="store_true",
        help="no progress bar and no progress notes (the report is still printed)")
    output.add_argument(
        "-v", "--verbose", action="count", default=0,
        help="more detail from the fits (repeat for more)")
    return parser


def is_h5ad(path):
    return str(path).lower().endswith(H5AD_SUFFIXES)


def _stem(path):
    name = Path(path).name
    for suffix in (".gz", ".bz2", ".xz", ".zip", ".csv", ".tsv", ".tab", ".txt", ".h5ad"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name or "skproj"


def resolve_outputs(args):
    """Fill the default output paths (only when there is a data file)."""
    if args.data is None:
        return
    if args.output is None:
        args.output = f"{_stem(args.data)}_ranked.csv"
    if is_h5ad(args.data) and args.output_h5ad is None:
        args.output_h5ad = f"{_stem(args.data)}_skproj.h5ad"


def _check_writable(option, path, input_path):
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        return f"{option} {path}: the directory {folder} does not exist; create it first"
    if not os.access(folder, os.W_OK):
        return f"{option} {path}: the directory {folder} is not writable"
    if path.is_dir():
        return f"{option} {path}: is a directory; give a file name"
    if input_path is not None and path.exists() and path.resolve() == Path(input_path).resolve():
        return f"{option} {path}: is the input file; give another name"
    return None


def _missing_module(module, extra, purpose):
    if importlib.util.find_spec(module) is None:
        return f"{purpose} needs {module}: pip install 'skproj[{extra}]' (or pip install {module})"
    return None


def argument_errors(args):
    """Every problem with the arguments that can be seen before reading the data.

    Output paths are checked here, before any fit, so that a long run is not
    lost to a missing directory at the end.
    """
    problems = []
    if args.data is not None:
        path = Path(args.data)
        if not path.exists():
            problems.append(f"{args.data}: no such file")
        elif path.is_dir():
            problems.append(f"{args.data}: is a directory, not a data file")
        elif is_h5ad(path):
            problems.append(_missing_module("anndata", "cli", "reading .h5ad files"))
            for option in ("sep", "index_col"):
                if getattr(args, option) is not None:
                    problems.append(f"--{option.replace('_', '-')} is for CSV/TSV input, "
                                    "not .h5ad")
            if args.drop:
                problems.append("--drop is for CSV/TSV input, not .h5ad")
        else:
            problems.append(_missing_module("pandas", "cli", "reading CSV/TSV files"))
        if args.n_informative is not None:
            problems.append("--n-informative is for the built-in data only (no data file)")
    if args.output_h5ad is not None and not (args.data is not None and is_h5ad(args.data)):
        problems.append("--output-h5ad needs an .h5ad input file")
    if args.model == "autoencoder":
        problems.append(_missing_module("torch", "torch", "--model autoencoder"))
    if args.plot is not None:
        problems.append(_missing_module("matplotlib", "plot", "--plot"))
    for option, path in (("--output", args.output), ("--output-h5ad", args.output_h5ad),
                         ("--plot", args.plot)):
        if path is not None:
            problems.append(_check_writable(option, path, args.data))
    return [problem for problem in problems if problem]
