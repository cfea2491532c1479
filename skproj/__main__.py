"""Command line: select features and classify a CSV of samples x features.

``python -m skproj data.csv --label diagnosis`` standardizes the features,
chooses the radius ``eta`` by cross-validation, prints the cross-validated
accuracy and the ranked selected features.  With no file it runs on the
built-in synthetic data-64 (:func:`skproj.datasets.make_sparse_classification`).
Run ``python -m skproj --help`` for the options.
"""

import argparse
import csv
import sys
import time

import numpy as np

MODELS = ("autoencoder", "linear")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skproj",
        description="Choose the sparsity radius eta by cross-validation, report the "
                    "accuracy and the ranked selected features.",
    )
    parser.add_argument("csv", nargs="?", help="CSV file, one sample per row, a header "
                        "row of names; without it the built-in data-64 is used")
    parser.add_argument("--label", help="name of the label column (default: 'label', "
                        "'class', 'target' or 'y' if present, else the last column)")
    parser.add_argument("--model", choices=MODELS, default="autoencoder",
                        help="SparseSupervisedAutoencoder or the linear "
                             "ProjectionFeatureSelector (default: %(default)s)")
    parser.add_argument("--projection", default="bilevel_l1inf",
                        help="projection of skproj.projections.MATRIX_CONSTRAINTS "
                             "(default: %(default)s)")
    parser.add_argument("--etas", type=float, nargs="+",
                        help="radii to try (default: the model's own grid)")
    parser.add_argument("--cv", type=int, default=4, help="folds (default: %(default)s)")
    parser.add_argument("--n-jobs", type=int, default=None, help="parallel fits")
    parser.add_argument("--n-informative", type=int, default=64,
                        help="informative features of the built-in data (default: 64)")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--top", type=int, default=20,
                        help="selected features to print (default: %(default)s)")
    parser.add_argument("--output", help="write the ranked selected features to this CSV")
    parser.add_argument("--plot", help="save a plot (accuracy vs eta, importances) here")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    return parser


def read_csv(path, label=None):
    """Features, labels and feature names from a CSV with a header row."""
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    if len(rows) < 2:
        raise SystemExit(f"{path}: needs a header row and at least one sample")
    header, body = rows[0], rows[1:]
    if label is None:
        lowered = [name.strip().lower() for name in header]
        candidates = [i for i, name in enumerate(lowered)
                      if name in ("label", "class", "target", "y")]
        label_index = candidates[0] if candidates else len(header) - 1
    elif label in header:
        label_index = header.index(label)
    else:
        raise SystemExit(f"--label {label!r} is not a column of {path}; "
                         f"columns are {', '.join(header[:10])}...")
    names = [name for i, name in enumerate(header) if i != label_index]
    y = np.array([row[label_index] for row in body])
    try:
        X = np.array([[float(v) for i, v in enumerate(row) if i != label_index]
                      for row in body])
    except ValueError as error:
        raise SystemExit(f"{path}: every column but the label must be numeric ({error})")
    return X, y, np.array(names, dtype=object)


def make_model(name, projection, random_state, verbose):
    if name == "autoencoder":
        from skproj import SparseSupervisedAutoencoder

        return SparseSupervisedAutoencoder(projection=projection,
                                           random_state=random_state,
                                           verbose=max(verbose - 1, 0))
    from skproj import ProjectionFeatureSelector

    return ProjectionFeatureSelector(projection=projection)


def default_etas(model):
    """A log-spaced grid around the model's default radius."""
    return [float(eta) for eta in np.round(model.eta * np.logspace(-1, 1, 5, base=3), 6)]


def ranked_features(model, names):
    """Selected features, most important first, as (name, importance) pairs."""
    importances = np.asarray(model.feature_importances_, dtype=float)
    order = np.argsort(-importances, kind="stable")
    return [(names[i], importances[i]) for i in order if importances[i] > 0]


def save_plot(path, search, etas, ranking):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    scores = search.cv_results_["mean_test_score"]
    errors = search.cv_results_["std_test_score"]
    left.errorbar(etas, scores, yerr=errors, marker="o", capsize=3)
    left.set_xscale("log")
    left.set_xlabel("eta")
    left.set_ylabel("cross-validated accuracy")
    top = ranking[:30]
    right.barh([str(name) for name, _ in top][::-1], [value for _, value in top][::-1])
    right.set_xlabel("importance (first-layer group norm)")
    right.set_title(f"{len(ranking)} selected features")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None):
    args = build_parser().parse_args(argv)
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from skproj.projections import MATRIX_CONSTRAINTS

    if args.projection not in MATRIX_CONSTRAINTS:
        raise SystemExit(f"--projection must be one of {', '.join(MATRIX_CONSTRAINTS)}")
    informative = None
    if args.csv is None:
        from skproj.datasets import make_sparse_classification

        X, y, informative = make_sparse_classification(args.n_informative,
                                                        random_state=args.random_state)
        names = np.array([f"x{i}" for i in range(X.shape[1])], dtype=object)
        source = f"built-in data-{args.n_informative} (make_sparse_classification)"
    else:
        X, y, names = read_csv(args.csv, args.label)
        source = args.csv
    print(f"data: {source}: {X.shape[0]} samples, {X.shape[1]} features, "
          f"{len(np.unique(y))} classes")

    model = make_model(args.model, args.projection, args.random_state, args.verbose)
    etas = args.etas or default_etas(model)
    pipeline = Pipeline([("scale", StandardScaler()), ("model", model)])
    folds = StratifiedKFold(args.cv, shuffle=True, random_state=args.random_state)
    search = GridSearchCV(pipeline, {"model__eta": etas}, cv=folds, n_jobs=args.n_jobs,
                          verbose=args.verbose)
    start = time.perf_counter()
    search.fit(X, y)
    elapsed = time.perf_counter() - start

    print(f"model: {args.model}, projection: {args.projection}, {args.cv}-fold CV "
          f"over eta in {etas} ({elapsed:.0f} s)")
    for eta, score, spread in zip(etas, search.cv_results_["mean_test_score"],
                                  search.cv_results_["std_test_score"]):
        marker = "  <- chosen" if eta == search.best_params_["model__eta"] else ""
        print(f"  eta = {eta:<10g} accuracy = {score:.3f} +/- {spread:.3f}{marker}")
    print(f"cross-validated accuracy at the chosen eta: {search.best_score_:.3f} "
          "(the score eta was chosen on: use nested CV for an unbiased estimate)")

    ranking = ranked_features(search.best_estimator_[-1], names)
    print(f"{len(ranking)} selected features (refit on all samples), most important first:")
    for rank, (name, importance) in enumerate(ranking[:args.top], start=1):
        print(f"  {rank:>3}. {name:<20} {importance:.4g}")
    if informative is not None and ranking:
        index = {name: i for i, name in enumerate(names)}
        hits = sum(informative[index[name]] for name, _ in ranking)
        print(f"  {hits} of the {len(ranking)} selected features are informative "
              f"({100 * hits / len(ranking):.0f} %; {informative.sum()} exist)")
    if args.output:
        with open(args.output, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["rank", "feature", "importance"])
            writer.writerows((rank, name, f"{value:.6g}")
                             for rank, (name, value) in enumerate(ranking, start=1))
        print(f"wrote {args.output}")
    if args.plot:
        save_plot(args.plot, search, etas, ranking)
        print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
