"""What the command line prints and writes: the report, the ranked CSV, the AnnData, the plot."""

import csv

import numpy as np

from skproj._cli._reading import quoted

# What "importance" is, for each inner norm of a projection.
_NORM_WORDS = {
    "linf": "the largest |weight| of the feature",
    "l1": "the sum of the feature's |weights|",
    "l2": "the Euclidean norm of the feature's weights",
}
# Key of the ranking in an AnnData's .uns (scanpy: sc.get.rank_genes_groups_df(adata,
# group=None, key="skproj")).
UNS_KEY = "skproj"


def plural(count, word, plural_word=None):
    """``"1 class"``, ``"2 classes"``."""
    if count == 1:
        return f"{count} {word}"
    return f"{count} {plural_word or word + ('es' if word.endswith(('s', 'x')) else 's')}"


def ranking(model, feature_names):
    """The selected features, most important first: (names, importances) arrays.

    The autoencoder's selected features are ranked by their permutation
    importance (what its predictions depend on; its weight norms put
    near-chance features at the top, see ``benchmarks/bench_rankings.py``).
    """
    selected = np.asarray(model.feature_importances_, dtype=float) > 0
    importances = np.asarray(getattr(model, "permutation_importances_",
                                     model.feature_importances_), dtype=float)
    order = np.argsort(-importances, kind="stable")
    order = order[selected[order]]
    return feature_names[order], importances[order]


def importance_meaning(model_name, projection):
    from skproj.projections import get_constraint

    if model_name != "linear":
        return ("importance = increase of the autoencoder's training cross-entropy (nats) when "
                "the feature's values are shuffled among the samples (permutation "
                "importance), in the model refit on all samples. It orders the features "
                "inside this one model; it is neither a p-value nor an effect size.")
    norm = _NORM_WORDS[get_constraint(projection, matrix=True).inner]
    return (f"importance = {norm} over the classes in the logistic regression's weight "
            "matrix, on standardized features, in the model refit on all samples; 0 = not "
            "selected. It orders the features inside this one model; it is neither a p-value "
            "nor an effect size.")


def _table(header, rows, align, indent="  "):
    """Lines of a table whose columns fit their longest cell; ``align`` is "l"/"r" per column."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    return [indent + "  ".join(str(cell).rjust(width) if side == "r" else str(cell).ljust(width)
                               for cell, width, side in zip(row, widths, align)).rstrip()
            for row in [header, *rows]]


def describe_data(data):
    classes, counts = np.unique(data.y, return_counts=True)
    shown = ", ".join(f"{label}: {count}" for label, count in zip(classes[:10], counts[:10]))
    more = f", ... ({len(classes) - 10} more)" if len(classes) > 10 else ""
    n_samples, n_features = data.X.shape
    notes = f"; {'; '.join(data.notes)}" if data.notes else ""
    return (f"data: {data.source}: {plural(n_samples, 'sample')} x "
            f"{plural(n_features, 'feature')}, {plural(len(classes), 'class')} "
            f"({shown}{more}){notes}")


def search_lines(result, args, grid_origin):
    """The radius table, the chance level, the chosen radius and its warnings."""
    lines = [f"model: {args.model}, projection: {args.projection}, features standardized; "
             f"{args.cv}-fold stratified cross-validation over "
             f"{plural(len(result.etas), 'radius', 'radii')} {grid_origin} "
             f"({result.seconds:.1f} s)"
             + ("; the chosen radius is the smallest within one standard error of the best"
                if args.rule == "one_standard_error" else "")]
    rows = [(f"{eta:.4g}", f"{kept:.1f}", f"{score:.3f} +/- {spread:.3f}",
             "<- chosen" if i == result.best_index else "")
            for i, (eta, kept, score, spread) in enumerate(
                zip(result.etas, result.n_features, result.scores, result.spreads))]
    lines += _table(("eta", "features kept", "accuracy", ""), rows, "rrll")
    return lines


def chance_line(y):
    classes, counts = np.unique(y, return_counts=True)
    majority = classes[np.argmax(counts)]
    return (f"chance level: {counts.max() / counts.sum():.3f} (always predicting the majority "
            f"class {quoted(majority)})")


def edge_warning(result):
    if len(result.etas) < 2:
        return None
    order = np.argsort(result.etas)
    if result.best_index == order[0]:
        side, advice = "smallest", "smaller"
    elif result.best_index == order[-1]:
        side, advice = "largest", "larger"
    else:
        return None
    return (f"warning: the chosen eta = {result.best_eta:.4g} is the {side} of the grid: "
            f"a {advice} radius may do better; try --etas with {advice} values")


def ranking_lines(names, importances, top, n_samples, best_eta):
    lines = [f"{plural(len(names), 'selected feature')} (the model refit on all "
             f"{plural(n_samples, 'sample')} at eta = {best_eta:.4g}), most important first:"]
    if top and len(names):
        rows = [(rank, name, f"{value:.4g}") for rank, (name, value)
                in enumerate(zip(names[:top], importances[:top]), start=1)]
        lines += _table(("rank", "feature", "importance"), rows, "rlr")
        if len(names) > top:
            lines.append(f"  ... {len(names) - top} more (--top to print more)")
    return lines


def informative_line(names, informative, feature_names):
    index = {name: i for i, name in enumerate(feature_names)}
    hits = sum(bool(informative[index[name]]) for name in names)
    share = 100 * hits / len(names) if len(names) else 0
    return (f"  {hits} of the {plural(len(names), 'selected feature')} are informative "
            f"({share:.0f} %; {informative.sum()} exist)")


def write_ranking_csv(path, names, importances):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["rank", "feature", "importance"])
        writer.writerows((rank, name, f"{value:.6g}")
                         for rank, (name, value) in enumerate(zip(names, importances), start=1))


def _group_scores(model, n_features):
    """Per-class scores of every feature (the class's weights) or one group, "all"."""
    estimator = getattr(model, "estimator_", model)
    coef = getattr(estimator, "coef_", None)
    classes = getattr(model, "classes_", None)
    if coef is not None and classes is not None and np.shape(coef) == (len(classes),
                                                                       n_features):
        return [str(label) for label in classes], np.asarray(coef, dtype=float)
    return ["all"], np.asarray(model.feature_importances_, dtype=float)[np.newaxis]


def _records(columns, names):
    """A record array with one field per group, as scanpy's rank_genes_groups stores them."""
    return np.rec.fromarrays(columns, names=names)


def write_anndata(path, adata, model, feature_names, label, params):
    """Write ``adata`` with the ranking, in the layout of scanpy's ``rank_genes_groups``.

    ``.uns["skproj"]`` holds ``params`` and the record arrays ``names`` and
    ``scores`` (one field per class, every gene ranked by that class's
    weight, highest first; one field "all" ranked by importance when the
    model has no per-class weights); ``.var`` gets ``skproj_importance``,
    ``skproj_selected`` and ``skproj_rank`` (1 = most important, 0 = not
    selected).  ``X`` is written as it was read (a sparse X stays sparse).
    """

    importances = np.asarray(model.feature_importances_, dtype=float)
    order = np.argsort(-importances, kind="stable")
    rank = np.zeros(len(importances), dtype=np.int64)
    selected = importances[order] > 0
    rank[order[selected]] = np.arange(1, selected.sum() + 1)
    adata.var["skproj_importance"] = importances
    adata.var["skproj_selected"] = importances > 0
    adata.var["skproj_rank"] = rank

    groups, scores = _group_scores(model, len(feature_names))
    orders = [np.argsort(-row, kind="stable") for row in scores]
    adata.uns[UNS_KEY] = {
        "params": {"groupby": label, "reference": "rest", "method": "skproj", "use_raw": False,
                   **params},
        "names": _records([feature_names[o].astype(str).astype(object) for o in orders], groups),
        "scores": _records([row[o].astype(np.float32) for row, o in zip(scores, orders)],
                           groups),
    }
    write_h5ad(adata, path)


def write_h5ad(adata, path):
    """``adata.write_h5ad(path)``, allowing the string arrays of pandas >= 3."""
    import anndata

    settings = anndata.settings
    if hasattr(settings, "allow_write_nullable_strings"):
        # pandas >= 3 holds strings as StringArray, which anndata writes only on request
        with settings.override(allow_write_nullable_strings=True):
            adata.write_h5ad(path)
    else:
        adata.write_h5ad(path)


def save_plot(path, result, names, importances):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.errorbar(result.etas, result.scores, yerr=result.spreads, marker="o", capsize=3)
    left.axvline(result.best_eta, color="0.6", linestyle=":")
    left.set_xscale("log")
    left.set_xlabel("eta")
    left.set_ylabel("cross-validated accuracy")
    kept = left.twinx()
    kept.plot(result.etas, result.n_features, color="C1", marker=".")
    kept.set_ylabel("features kept (mean over folds)", color="C1")
    top = slice(0, 30)
    right.barh([str(name) for name in names[top]][::-1], importances[top][::-1])
    right.set_xlabel("importance")
    right.set_title(f"{plural(len(names), 'selected feature')}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
