"""The command line (``skproj``, ``python -m skproj``).

The defects a new user hit are run as a user would, in a subprocess on small
files the tests write; the rest calls ``main`` in the process (faster).
"""

import csv
import pickle

import numpy as np
import pytest

from skproj._cli import main
from skproj._cli._arguments import build_parser
from skproj._cli._report import edge_warning, plural, ranking_lines, write_h5ad
from skproj._cli._search import ChosenRadius, SearchResult, _RadiusSearch
from skproj.projections import MATRIX_CONSTRAINTS

from fresh_python import run_python

pytest.importorskip("pandas")  # the CLI reads tables with pandas (the "cli" extra)

FAST = ["--etas", "0.5", "2", "--cv", "3", "-q"]


def run_cli(*args, cwd):
    """``python -m skproj *args`` in ``cwd``, on the same skproj as this process."""
    return run_python(["-m", "skproj", *args], timeout=120, cwd=cwd, check=False)


def _table(n_samples=90, n_features=12, seed=0):
    """Samples whose class is decided by gene3 and gene7."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    y = np.where(X[:, 3] + X[:, 7] > 0, "sick", "healthy")
    return X, y, [f"gene{i}" for i in range(n_features)]


def write_table(path, *, sep=",", encoding="utf-8", ids=False, label="diagnosis", cells=None):
    """Write the table with the label first (and sample IDs, quoted, before it)."""
    X, y, names = _table()
    header = (["sample id"] if ids else []) + [label] + names
    rows = [([f"S{i:03d}, batch {i % 2}"] if ids else []) + [target]
            + [f"{value:.6g}" for value in row] for i, (row, target) in enumerate(zip(X, y))]
    for (row, column), text in (cells or {}).items():
        rows[row][header.index(column)] = text
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, delimiter=sep)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def ranked_features(path):
    with open(path, newline="") as handle:
        return [row["feature"] for row in csv.DictReader(handle)]


def test_csv_with_sample_ids_ranks_the_deciding_features(tmp_path):
    data = write_table(tmp_path / "data.csv", ids=True)
    done = run_cli(data, "--label", "diagnosis", "--index-col", "sample id", *FAST, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "90 samples x 12 features, 2 classes (healthy: " in done.stdout
    assert "chance level: 0." in done.stdout and "importance = " in done.stdout
    # the default output: <stem>_ranked.csv in the current directory
    assert set(ranked_features(tmp_path / "data_ranked.csv")[:2]) == {"gene3", "gene7"}


def test_tsv_delimiter_is_detected(tmp_path):
    data = write_table(tmp_path / "data.tsv", sep="\t")
    done = run_cli(data, "--output", "out.csv", *FAST, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "12 features" in done.stdout and "delimiter '\\t' (detected)" in done.stdout
    assert set(ranked_features(tmp_path / "out.csv")[:2]) == {"gene3", "gene7"}


@pytest.mark.parametrize("sep", [";", "\t"])
def test_sep_option_reads_the_table(tmp_path, sep):
    data = write_table(tmp_path / "data.txt", sep=sep)
    assert main([str(data), "--sep", "tab" if sep == "\t" else sep,
                 "--output", str(tmp_path / "out.csv"), *FAST]) == 0
    assert set(ranked_features(tmp_path / "out.csv")[:2]) == {"gene3", "gene7"}


def test_excel_bom_is_stripped_from_the_first_header(tmp_path):
    data = write_table(tmp_path / "excel.csv", encoding="utf-8-sig")
    assert data.read_bytes().startswith(b"\xef\xbb\xbfdiagnosis")
    done = run_cli(data, "--label", "diagnosis", *FAST, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "label column 'diagnosis'" in done.stdout


def test_missing_value_names_column_and_row(tmp_path):
    data = write_table(tmp_path / "data.csv", cells={(4, "gene5"): "", (9, "gene8"): "NA"})
    done = run_cli(data, *FAST, cwd=tmp_path)
    assert done.returncode != 0
    assert "missing value in column 'gene5', row 5 (line 6 of the file)" in done.stderr
    assert "2 empty or NA cell(s) in 2 column(s)" in done.stderr and "impute" in done.stderr
    assert "Traceback" not in done.stderr


def test_id_column_gets_named_with_the_option_to_use(tmp_path):
    data = write_table(tmp_path / "data.csv", ids=True)
    done = run_cli(data, *FAST, cwd=tmp_path)
    assert done.returncode != 0
    assert "column 'sample id' is not numeric: row 1 (line 2 of the file) holds " \
           "'S000, batch 0'" in done.stderr
    assert "--index-col sample id" in done.stderr and "--drop sample id" in done.stderr
    # --drop works as well as --index-col
    assert main([str(data), "--drop", "sample id", *FAST,
                 "--output", str(tmp_path / "out.csv")]) == 0


def test_one_class_is_refused_before_fitting(tmp_path):
    data = write_table(tmp_path / "data.csv")
    text = data.read_text().replace("healthy", "sick")
    data.write_text(text)
    done = run_cli(data, *FAST, cwd=tmp_path)
    assert done.returncode != 0
    assert "every sample has the same class 'sick'" in done.stderr
    assert "cross-validation" not in done.stdout and "Traceback" not in done.stderr


@pytest.mark.parametrize("args, message", [
    (["--etas", "-1"], "argument --etas: -1 is not a positive finite radius"),
    (["--etas", "0"], "argument --etas: 0 is not a positive finite radius"),
    (["--cv", "1"], "argument --cv: 1 is less than 2"),
    (["--projection", "l3_ball"], "argument --projection: invalid choice: 'l3_ball'"),
    (["--n-jobs", "0"], "argument --n-jobs: 0 jobs"),
])
def test_bad_arguments_get_one_line_and_exit_2(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_argument_in_a_subprocess_has_no_traceback(tmp_path):
    done = run_cli("--etas", "-1", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--etas: -1 is not a positive finite radius" in done.stderr


def test_missing_output_directory_is_checked_before_reading(tmp_path):
    data = write_table(tmp_path / "data.csv")
    done = run_cli(data, "--output", tmp_path / "missing" / "ranked.csv", "--plot",
                   tmp_path / "nowhere" / "plot.png", *FAST, cwd=tmp_path)
    assert done.returncode == 2
    assert "the directory" in done.stderr and "missing does not exist" in done.stderr
    assert "nowhere does not exist" in done.stderr
    assert "data:" not in done.stdout  # nothing was read, nothing fitted


def test_missing_input_file_is_one_line(tmp_path):
    done = run_cli("absent.csv", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "absent.csv: no such file" in done.stderr


def test_output_may_not_overwrite_the_input(tmp_path, capsys):
    data = write_table(tmp_path / "data.csv")
    assert main([str(data), "--output", str(data), *FAST]) == 2
    assert "is the input file" in capsys.readouterr().err


def test_unknown_label_lists_the_closest_columns(tmp_path, capsys):
    data = write_table(tmp_path / "data.csv")
    assert main([str(data), "--label", "Diagnosys", *FAST]) == 2
    error = capsys.readouterr().err
    assert "did you mean 'diagnosis'?" in error
    assert "The 13 columns are: 'diagnosis', 'gene0'" in error and "'gene11'" in error


def test_rare_class_and_label_of_ids_are_refused(tmp_path, capsys):
    data = write_table(tmp_path / "data.csv", cells={(0, "diagnosis"): "rare"})
    assert main([str(data), *FAST]) == 2
    assert "class 'rare' has 1 sample(s), fewer than the 3 folds" in capsys.readouterr().err
    assert main([str(data), "--label", "gene0", "--drop", "diagnosis", *FAST]) == 2
    assert "is --label a column of class labels" in capsys.readouterr().err


def test_constant_features_are_refused(tmp_path, capsys):
    data = tmp_path / "flat.csv"
    data.write_text("a,b,label\n" + "".join(f"1,2,{'xy'[i % 2]}\n" for i in range(8)))
    assert main([str(data), "--cv", "2", "-q", "--output", str(tmp_path / "o.csv")]) == 2
    assert "no feature differs between the classes" in capsys.readouterr().err


def test_help_describes_every_option_and_projection():
    parser = build_parser()
    for action in parser._actions:
        assert action.help, f"{action.option_strings or action.dest} has no help"
    text = parser.format_help()
    for name in MATRIX_CONSTRAINTS:
        assert name in text


def test_builtin_default_run_reports_what_it_did(capsys):
    # the first run a user makes: no file, default model and grid
    assert main(["-q"]) == 0
    printed = capsys.readouterr().out
    assert "built-in data-64" in printed and "radii computed from the data" in printed
    assert "chance level: 0.500" in printed and "informative (" in printed
    assert "1 classes" not in printed


def test_progress_bar_on_stderr_unless_quiet(tmp_path, capsys):
    data = write_table(tmp_path / "data.csv")
    assert main([str(data), "--etas", "1", "--cv", "2", "--output", str(tmp_path / "o.csv")]) == 0
    assert "cross-validation" in capsys.readouterr().err
    assert main([str(data), "--etas", "1", "--cv", "2", "-q",
                 "--output", str(tmp_path / "o.csv")]) == 0
    assert capsys.readouterr().err == ""


def test_progress_callback_is_not_sent_to_workers():
    # with --n-jobs, scikit-learn pickles the search for its process workers;
    # a progress bar (here a lambda, which cannot be pickled) stays behind
    search = _RadiusSearch(None, {"model__eta": [1.0]}, on_radius_done=lambda: None)
    assert pickle.loads(pickle.dumps(search)).on_radius_done is None


def test_radius_at_the_edge_of_the_grid_is_flagged(tmp_path, capsys):
    data = write_table(tmp_path / "data.csv")
    # the two small radii keep one of the two deciding genes, the largest both
    assert main([str(data), "--etas", "1e-3", "1e-2", "5", "--cv", "3", "-q",
                 "--output", str(tmp_path / "o.csv")]) == 0
    assert "the chosen eta = 5 is the largest of the grid" in capsys.readouterr().out
    inside = SearchResult(etas=[0.1, 1.0, 10.0], scores=np.array([0.6, 0.9, 0.8]),
                          spreads=np.zeros(3), n_features=np.ones(3), best_index=1,
                          model=None, seconds=0.0)
    assert edge_warning(inside) is None


def _chosen_eta(report):
    return float(next(line for line in report.splitlines() if "<- chosen" in line).split()[0])


def test_one_standard_error_rule_prefers_a_smaller_radius(capsys):
    # on the built-in data-16 the accuracy plateaus from eta = 0.75 to 2: the
    # best mean is at 1, and 0.75 is within one standard error of it
    grid = ["--n-informative", "16", "--etas", "0.25", "0.5", "0.75", "1", "2", "--cv", "3",
            "-q"]
    assert main(grid) == 0
    best = capsys.readouterr().out
    assert main([*grid, "--rule", "one_standard_error"]) == 0
    shorter = capsys.readouterr().out
    assert "within one standard error of the best" in shorter
    assert "within one standard error" not in best
    assert _chosen_eta(shorter) < _chosen_eta(best)


def test_refit_rule_of_the_autoencoder_search():
    # three folds, three increasing radii: the best mean is the largest radius
    # (0.91), whose standard error is std(0.95, 0.85, 0.93) / sqrt(3) = 0.025;
    # the middle radius (mean 0.893) is within it, the smallest (0.767) is not
    results = {"split0_test_accuracy": np.array([0.8, 0.9, 0.95]),
               "split1_test_accuracy": np.array([0.8, 0.88, 0.85]),
               "split2_test_accuracy": np.array([0.7, 0.9, 0.93]),
               "mean_test_accuracy": np.array([0.767, 0.893, 0.91])}
    assert ChosenRadius("best")(results) == 2
    assert ChosenRadius("one_standard_error")(results) == 1
    assert pickle.loads(pickle.dumps(ChosenRadius("best"))).rule == "best"


def test_report_words_and_alignment():
    assert plural(1, "class") == "1 class" and plural(3, "class") == "3 classes"
    assert plural(2, "radius", "radii") == "2 radii"
    names = np.array(["short", "a_much_longer_gene_name_of_many_letters"], dtype=object)
    lines = ranking_lines(names, np.array([0.5, 0.25]), top=5, n_samples=1, best_eta=1.0)
    assert lines[0].startswith("2 selected features (the model refit on all 1 sample ")
    assert len({len(line) for line in lines[1:]}) == 1, lines  # importances right-aligned
    assert lines[2].index("short") == lines[3].index("a_much")  # names left-aligned


def test_builtin_data_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "plot.png"
    assert main(["--n-informative", "16", "--etas", "1", "--cv", "2", "-q",
                 "--plot", str(plot)]) == 0
    assert "built-in data-16" in capsys.readouterr().out
    assert plot.stat().st_size > 0


def test_h5ad_sparse_input_writes_scanpy_layout(tmp_path, capsys):
    anndata = pytest.importorskip("anndata")
    pandas = pytest.importorskip("pandas")
    import scipy.sparse as sp

    rng = np.random.default_rng(1)
    n_cells, n_genes = 90, 15
    cell_type = np.array(["B", "NK", "T"])[np.arange(n_cells) % 3]
    counts = rng.poisson(0.3, (n_cells, n_genes)).astype(np.float32)
    for k in range(3):  # gene k marks cell type k
        counts[cell_type == ["B", "NK", "T"][k], k] += 4
    obs = pandas.DataFrame({"cell_type": pandas.Categorical(cell_type)},
                           index=[f"cell{i}" for i in range(n_cells)])
    adata = anndata.AnnData(X=sp.csr_matrix(counts), obs=obs)
    adata.var_names = [f"G{i}" for i in range(n_genes)]
    write_h5ad(adata, tmp_path / "cells.h5ad")

    assert main([str(tmp_path / "cells.h5ad"), "--label", "cell_type", "--etas", "0.3", "1",
                 "--cv", "3", "-q", "--output", str(tmp_path / "genes.csv"),
                 "--output-h5ad", str(tmp_path / "ranked.h5ad")]) == 0
    printed = capsys.readouterr().out
    assert "90 samples x 15 features, 3 classes (B: 30, NK: 30, T: 30)" in printed
    # the models take sparse input (issue 15; scaled without centering): nothing is densified
    assert "X sparse" in printed and "densified" not in printed
    assert set(ranked_features(tmp_path / "genes.csv")[:3]) == {"G0", "G1", "G2"}

    result = anndata.read_h5ad(tmp_path / "ranked.h5ad")
    assert sp.issparse(result.X)  # written as read
    ranking = result.uns["skproj"]
    assert ranking["params"]["groupby"] == "cell_type"
    assert list(ranking["names"].dtype.names) == ["B", "NK", "T"]
    for k, group in enumerate(["B", "NK", "T"]):
        assert ranking["names"][group][0] == f"G{k}"  # each type's marker ranks first
        assert np.all(np.diff(ranking["scores"][group]) <= 0)
    assert set(result.var.index[result.var["skproj_rank"].between(1, 3)]) == {"G0", "G1", "G2"}


def test_h5ad_label_must_be_an_obs_column(tmp_path, capsys):
    anndata = pytest.importorskip("anndata")
    adata = anndata.AnnData(X=np.ones((4, 2), dtype=np.float32))
    adata.obs["batch"] = ["a", "b", "a", "b"]
    write_h5ad(adata, tmp_path / "cells.h5ad")
    assert main([str(tmp_path / "cells.h5ad"), "-q"]) == 2
    assert "no label column found" in capsys.readouterr().err


def test_h5ad_nan_in_sparse_x_names_cell_and_gene(tmp_path, capsys):
    anndata = pytest.importorskip("anndata")
    import scipy.sparse as sp

    X = sp.csr_matrix(np.array([[1, 0, 0], [0, 0, np.nan], [0, 2, 0], [3, 0, 0]]))
    adata = anndata.AnnData(X=X.astype(np.float32))
    adata.obs_names = ["c0", "c1", "c2", "c3"]
    adata.var_names = ["G0", "G1", "G2"]
    adata.obs["cell_type"] = ["a", "b", "a", "b"]
    write_h5ad(adata, tmp_path / "cells.h5ad")
    assert main([str(tmp_path / "cells.h5ad"), "--cv", "2", "-q"]) == 2
    assert "X is not finite (NaN or inf) at observation 'c1', gene 'G2'" in \
        capsys.readouterr().err
