"""The command line ``skproj`` (also ``python -m skproj``).

Four steps, one module each: the options and the checks made before any data
is read (:mod:`._arguments`), reading the data (:mod:`._reading`), the
cross-validated search of the radius (:mod:`._search`) and the report and
output files (:mod:`._report`).  Every problem the user can fix ends in one
line on stderr and a non-zero exit status, before any fit where it can be
seen then.
"""

import sys
import warnings

from skproj._cli import _report
from skproj._cli._arguments import argument_errors, build_parser, resolve_outputs
from skproj._cli._reading import DataError, class_errors, feature_errors, read_data
from skproj._cli._search import autoencoder_radii, make_model, search_radius

__all__ = ["main"]


def _fail(message):
    print(f"skproj: error: {message}", file=sys.stderr)
    return 2


def _note(args, message):
    if not args.quiet:
        print(message, file=sys.stderr, flush=True)


def main(argv=None):
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    resolve_outputs(args)
    problems = argument_errors(args)
    if problems:
        parser.print_usage(sys.stderr)
        for problem in problems:
            print(f"skproj: error: {problem}", file=sys.stderr)
        return 2

    _note(args, f"reading {args.data or 'the built-in data'} ...")
    try:
        data = read_data(args)
    except DataError as error:
        return _fail(error)
    print(_report.describe_data(data))
    problem = class_errors(data.y, args.cv) or feature_errors(data.X, data.y)
    if problem:
        return _fail(problem)

    model = make_model(args.model, args.projection, args.random_state, args.verbose)
    X = data.X  # sparse stays sparse: both models take CSR/CSC
    etas, grid_origin = _radii(args, model)
    with warnings.catch_warnings():
        # a radius that keeps no feature is a valid point of the grid: the
        # table shows it (0 features kept) and the search scores it
        warnings.filterwarnings("ignore", message="No feature was selected")
        result = search_radius(model, X, data.y, etas, n_folds=args.cv, n_jobs=args.n_jobs,
                               random_state=args.random_state, verbose=args.verbose,
                               quiet=args.quiet, n_etas=args.n_etas, rule=args.rule)
    _print_report(args, data, result, grid_origin)
    _write_outputs(args, data, result)
    return 0


def _radii(args, model):
    """The radii to search (None: the linear model computes them) and where they come from."""
    if args.etas:
        return sorted(set(args.etas)), "given by --etas"
    if args.model == "linear":
        return None, ("computed from the data (from the radius that keeps one feature to "
                      "where the constraint stops binding)")
    return autoencoder_radii(model), "around the model's default"


def _print_report(args, data, result, grid_origin):
    for line in _report.search_lines(result, args, grid_origin):
        print(line)
    print(_report.chance_line(data.y))
    print(f"cross-validated accuracy at the chosen eta = {result.best_eta:.4g}: "
          f"{result.scores[result.best_index]:.3f} (the score the radius was chosen on, so "
          "slightly optimistic; nested cross-validation gives an unbiased estimate)")
    warning = _report.edge_warning(result)
    if warning:
        print(warning)
    names, importances = _report.ranking(result.model[-1], data.feature_names)
    for line in _report.ranking_lines(names, importances, args.top, data.X.shape[0],
                                      result.best_eta):
        print(line)
    if data.informative is not None and len(names):
        print(_report.informative_line(names, data.informative, data.feature_names))
    print(_report.importance_meaning(args.model, args.projection))


def _write_outputs(args, data, result):
    model = result.model[-1]
    names, importances = _report.ranking(model, data.feature_names)
    if args.output:
        _report.write_ranking_csv(args.output, names, importances)
        print(f"wrote {args.output} ({_report.plural(len(names), 'ranked feature')})")
    if args.output_h5ad:
        params = {"model": args.model, "projection": args.projection, "eta": result.best_eta}
        _report.write_anndata(args.output_h5ad, data.adata, model, data.feature_names,
                              data.label, params)
        print(f"wrote {args.output_h5ad} (ranking in .uns[{_report.UNS_KEY!r}], scanpy's "
              "rank_genes_groups layout; .var columns skproj_importance, skproj_selected, "
              "skproj_rank)")
    if args.plot:
        _report.save_plot(args.plot, result, names, importances)
        print(f"wrote {args.plot}")
