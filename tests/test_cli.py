"""The command-line main job (``python -m skproj``)."""

import csv

import numpy as np
import pytest

from skproj.__main__ import main, read_csv


def _write_csv(path, X, y, names, label="label"):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(list(names) + [label])
        for row, target in zip(X, y):
            writer.writerow([f"{value:.6g}" for value in row] + [target])


def test_csv_with_label_column_ranks_the_informative_features(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 30))
    y = np.where(X[:, 3] + X[:, 7] > 0, "sick", "healthy")
    names = [f"gene{i}" for i in range(30)]
    _write_csv(tmp_path / "data.csv", X, y, names, label="diagnosis")
    output = tmp_path / "ranked.csv"
    assert main([str(tmp_path / "data.csv"), "--label", "diagnosis", "--model", "linear",
                 "--etas", "0.5", "2", "--cv", "3", "--output", str(output)]) == 0
    printed = capsys.readouterr().out
    assert "cross-validated accuracy" in printed
    with open(output) as handle:
        ranked = [row["feature"] for row in csv.DictReader(handle)]
    assert set(ranked[:2]) == {"gene3", "gene7"}


def test_builtin_data_runs_without_a_file(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "plot.png"
    main(["--model", "linear", "--n-informative", "16", "--etas", "1", "--cv", "2",
          "--plot", str(plot)])
    printed = capsys.readouterr().out
    assert "built-in data-16" in printed and "informative" in printed
    assert plot.stat().st_size > 0


def test_read_csv_finds_the_label_and_reports_bad_columns(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,class,b\n1,x,2\n3,y,4\n")
    X, y, names = read_csv(path)
    np.testing.assert_array_equal(X, [[1, 2], [3, 4]])
    assert list(y) == ["x", "y"] and list(names) == ["a", "b"]
    with pytest.raises(SystemExit, match="--label"):
        read_csv(path, "missing")
    path.write_text("a,label\nfoo,1\n")
    with pytest.raises(SystemExit, match="numeric"):
        read_csv(path)


def test_unknown_projection_is_refused():
    with pytest.raises(SystemExit, match="projection"):
        main(["--projection", "l3_ball"])


def test_default_grid_is_printed_as_plain_numbers(capsys):
    main(["--model", "linear", "--n-informative", "16", "--cv", "2"])
    printed = capsys.readouterr().out
    assert "over eta in [0.333333, 0.57735, 1.0, 1.732051, 3.0]" in printed
