"""SparseSupervisedAutoencoder: scikit-learn conventions, training schemes, pickling."""

import io
import os
import pickle
import threading

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.feature_selection import SelectFromModel
from sklearn.model_selection import GridSearchCV, cross_val_score, cross_validate
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    check_set_output_transform,
    check_transformer_get_feature_names_out,
    parametrize_with_checks,
)

from skproj import projections as P
from skproj.nn import Callback

torch = pytest.importorskip("torch")

from skproj.autoencoder import SparseSupervisedAutoencoder  # noqa: E402
from skproj.autoencoder import _training  # noqa: E402

# Small and fast: every estimator check fits several times.
FAST = dict(hidden_layer_sizes=(16,), n_epochs=(2, 10), n_rounds=1, learning_rate=1e-2,
            batch_size=16, eta=5.0, random_state=0)
# On the CPU whatever the machine: the default "auto" would train on a GPU where one
# is present, whose last bits differ; the device tests below ask for one explicitly.
TINY = dict(hidden_layer_sizes=(8,), n_epochs=(2, 3), n_rounds=2, batch_size=16,
            learning_rate=1e-2, random_state=0, device="cpu")


def _data(n_samples=80, n_features=20, n_classes=2, seed=0):
    X, y = make_classification(n_samples=n_samples, n_features=n_features, n_informative=4,
                               n_redundant=0, n_classes=n_classes, random_state=seed)
    return X, y


@parametrize_with_checks([SparseSupervisedAutoencoder(**FAST)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("check", [
    check_param_validation,
    check_set_output_transform,
    check_transformer_get_feature_names_out,
    check_dataframe_column_names_consistency,
], ids=lambda c: c.__name__)
def test_checks_sklearn_runs_on_itself(check):
    pytest.importorskip("pandas")
    check("SparseSupervisedAutoencoder", SparseSupervisedAutoencoder(**FAST))


def test_fit_twice_same_random_state_same_probabilities():
    X, y = _data()
    a = SparseSupervisedAutoencoder(**TINY).fit(X, y)
    b = SparseSupervisedAutoencoder(**TINY).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_array_equal(a.selected_features_, b.selected_features_)
    c = SparseSupervisedAutoencoder(**{**TINY, "random_state": 1}).fit(X, y)
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


def test_fitted_attributes_and_methods():
    X, y = _data(n_classes=3)
    labels = np.array(["ant", "bee", "cat"])[y]
    model = SparseSupervisedAutoencoder(**{**TINY, "eta": 0.3}).fit(X, labels)
    assert list(model.classes_) == ["ant", "bee", "cat"]
    assert model.n_features_in_ == 20 and model.device_ == "cpu"
    assert set(model.predict(X)) <= set(model.classes_)
    proba = model.predict_proba(X)
    assert proba.shape == (80, 3) and np.allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])
    assert model.score(X, labels) == np.mean(model.predict(X) == labels)
    Z = model.transform(X)
    assert Z.shape == (80, 3) and Z.dtype == np.float64
    np.testing.assert_allclose(np.exp(Z) / np.exp(Z).sum(1, keepdims=True), proba, rtol=1e-6)
    assert model.reconstruct(X).shape == X.shape
    np.testing.assert_allclose(model.inverse_transform(Z), model.reconstruct(X), rtol=1e-6,
                               atol=1e-9)
    assert list(model.get_feature_names_out()) == [
        f"sparsesupervisedautoencoder{i}" for i in range(3)]
    # selection: the non-zero first-layer columns
    W = model.network_.encoder[0].weight.detach()
    support = np.flatnonzero((W != 0).any(dim=0).numpy())
    np.testing.assert_array_equal(model.selected_features_, support)
    assert 0 < len(support) < 20
    imp = model.feature_importances_
    assert imp.shape == (20,) and imp.dtype == np.float64
    np.testing.assert_allclose(imp, W.abs().amax(dim=0).numpy(), rtol=1e-6)
    np.testing.assert_array_equal(np.flatnonzero(imp > 0), model.selected_features_)
    # history: per-epoch loss, training accuracy, sparsity
    rounds = len({h["round"] for h in model.history_ if h["phase"] == "select"})
    assert rounds % TINY["n_rounds"] == 0  # whole passes of rounds
    assert len(model.history_) == rounds * TINY["n_epochs"][0] + TINY["n_epochs"][1]
    last = model.history_[-1]
    assert last["phase"] == "retrain" and 0 <= last["train_accuracy"] <= 1
    assert last["n_features"] == len(support)
    assert last["sparsity"] == pytest.approx(1 - len(support) / 20)
    assert all(np.isfinite(h["loss"]) for h in model.history_)


def test_feature_names_in():
    pd = pytest.importorskip("pandas")
    X, y = _data()
    frame = pd.DataFrame(X, columns=[f"gene{i}" for i in range(20)])
    model = SparseSupervisedAutoencoder(**TINY).fit(frame, y)
    np.testing.assert_array_equal(model.feature_names_in_, frame.columns)


def test_one_class_and_one_sample_errors():
    X, y = _data()
    with pytest.raises(ValueError, match="at least 2 classes"):
        SparseSupervisedAutoencoder(**TINY).fit(X, np.zeros(80))
    with pytest.raises(ValueError, match="class"):
        SparseSupervisedAutoencoder(**TINY).fit(X[:1], y[:1])


def test_read_only_memmap_and_float32(tmp_path):
    X, y = _data()
    path = os.path.join(tmp_path, "X.npy")
    np.save(path, X.astype(np.float32))
    X_mm = np.load(path, mmap_mode="r")
    assert not X_mm.flags.writeable
    a = SparseSupervisedAutoencoder(**TINY).fit(X_mm, y)
    b = SparseSupervisedAutoencoder(**TINY).fit(X.astype(np.float32), y)
    np.testing.assert_array_equal(a.predict_proba(X_mm), b.predict_proba(X.astype(np.float32)))
    # float64 input is cast to the same float32 values
    c = SparseSupervisedAutoencoder(**TINY).fit(X.astype(np.float32).astype(np.float64), y)
    np.testing.assert_array_equal(a.predict_proba(X_mm), c.predict_proba(X_mm))


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_gives_the_dense_fit(fmt):
    sparse = pytest.importorskip("scipy.sparse")
    X, y = _data()
    X[np.abs(X) < 0.8] = 0  # about half of the entries are zero
    X_sparse = sparse.csr_matrix(X) if fmt == "csr" else sparse.csc_matrix(X)
    X_sparse.indices = X_sparse.indices.astype(np.int64)
    X_sparse.indptr = X_sparse.indptr.astype(np.int64)
    X_sparse.data.flags.writeable = False
    settings = {**TINY, "n_subclasses": 1}
    dense = SparseSupervisedAutoencoder(**settings).fit(X, y)
    model = SparseSupervisedAutoencoder(**settings).fit(X_sparse, y)
    np.testing.assert_array_equal(model.selected_features_, dense.selected_features_)
    np.testing.assert_array_equal(model.predict_proba(X_sparse), dense.predict_proba(X))
    np.testing.assert_array_equal(model.predict(X_sparse), dense.predict(X))


def test_pickle_round_trip():
    X, y = _data()
    model = SparseSupervisedAutoencoder(**TINY).fit(X, y)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(clone.feature_importances_, model.feature_importances_)
    assert clone.device_ == "cpu"
    assert "network_" in vars(model)  # pickling leaves the original intact


def test_cuda_model_loads_without_cuda(monkeypatch):
    """A model fitted on CUDA unpickles on a machine without CUDA, on the CPU."""
    X, y = _data()
    model = SparseSupervisedAutoencoder(**TINY).fit(X, y)
    expected = model.predict_proba(X)
    state = model.__getstate__()
    state["device_"] = "cuda"  # what a fit on a GPU machine stores
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    restored = SparseSupervisedAutoencoder.__new__(SparseSupervisedAutoencoder)
    with pytest.warns(UserWarning, match="loaded on the CPU"):
        restored.__setstate__(state)
    assert restored.device_ == "cpu"
    assert restored.network_.encoder[0].weight.device.type == "cpu"
    np.testing.assert_array_equal(restored.predict_proba(X), expected)
    # the pickle holds CPU tensors only: torch.load without CUDA must work on it
    config, payload = model.__getstate__()["_network_state"]
    torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)


class _Spy:
    """Watches the first layer: every projection (level, norm after) and every step."""

    def __init__(self, monkeypatch):
        from skproj.autoencoder import _training
        from skproj.nn._prune import ParameterConstraint

        self.norms_after_projection = []
        self.steps_checked = 0
        self.violations = 0
        self.phases = []
        spy = self
        original_project = ParameterConstraint.project
        original_run = _training.EpochRunner.run

        def project(attached, level=None):
            result = original_project(attached, level)
            used = attached.level if level is None else level
            spy.norms_after_projection.append(
                (used, float(P.l1inf_norm(attached.param.detach()))))
            return result

        class CheckMask(Callback):
            def on_step_end(self, module):
                # a narrowed network trains a copy of its full network's kept columns
                network = getattr(module, "network", [module])[0]
                attached = network.first_layer.__dict__.get("_skproj_constraints", {})
                if "weight" in attached:
                    mask = attached["weight"].mask
                    spy.steps_checked += 1
                    spy.violations += int((network.first_layer.weight.detach()[~mask] != 0).sum())
                    if module is not network:  # it reads exactly the columns kept
                        kept = torch.nonzero(mask.any(dim=0)).flatten()
                        spy.violations += int(not torch.equal(module.columns, kept))

        def run(runner, network, targets, n_epochs, lr, phase, round_, callbacks=()):
            spy.phases.append(phase)
            return original_run(runner, network, targets, n_epochs, lr, phase, round_,
                                list(callbacks) + [CheckMask()])

        monkeypatch.setattr(ParameterConstraint, "project", project)
        monkeypatch.setattr(_training.EpochRunner, "run", run)


@pytest.mark.parametrize("reinitialize", [False, True])
def test_double_descent_zero_pattern_frozen_in_phase_two(monkeypatch, reinitialize):
    X, y = _data(n_features=30)
    eta = 0.2
    spy = _Spy(monkeypatch)
    model = SparseSupervisedAutoencoder(**{**TINY, "eta": eta, "n_rounds": 1, "n_subclasses": 1,
                                           "reinitialize": reinitialize}).fit(X, y)
    # the paper's promise: the norm is at most eta right after the projection
    (radius, norm), = spy.norms_after_projection
    assert radius == eta and norm <= eta * (1 + 1e-5)
    assert spy.phases == ["select", "retrain"]
    # every step of both phases checked: nothing masked ever comes back
    assert spy.steps_checked == sum(TINY["n_epochs"]) * 5  # 80 samples / 16 per batch
    assert spy.violations == 0
    retrain = [h["n_features"] for h in model.history_ if h["phase"] == "retrain"]
    assert len(set(retrain)) == 1 and retrain[0] == len(model.selected_features_) < 30


def test_rounds_on_the_surviving_columns_train_the_full_width_model(monkeypatch):
    # After a round has removed features, the next rounds and the retraining read
    # only the survivors; the masked columns are zero, so it is the same model.
    X, y = _data(n_samples=120, n_features=40)
    params = {**TINY, "n_rounds": 3, "n_subclasses": 1, "eta": 0.05}
    widths = []
    original_run = _training.EpochRunner.run

    def run(runner, network, *args, **kwargs):
        widths.append(network.first_layer.weight.shape[1])
        return original_run(runner, network, *args, **kwargs)

    monkeypatch.setattr(_training.EpochRunner, "run", run)
    narrowed = SparseSupervisedAutoencoder(**params).fit(X, y)
    assert widths[0] == 40 and widths[-1] == len(narrowed.selected_features_) < 20
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == 4
    monkeypatch.setattr(_training, "run_on_support",
                        lambda runner, network, attached, *args: runner.run(network, *args))
    widths.clear()
    full = SparseSupervisedAutoencoder(**params).fit(X, y)
    assert set(widths) == {40}
    np.testing.assert_array_equal(narrowed.selected_features_, full.selected_features_)
    for a, b in zip(narrowed.network_.parameters(), full.network_.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(narrowed.predict_proba(X), full.predict_proba(X), atol=1e-5)
    assert [h["sparsity"] for h in narrowed.history_] == [h["sparsity"] for h in full.history_]


def _features_after_each_round(model):
    """Features in use after each selection round's projection (from ``history_``)."""
    select = [h for h in model.history_ if h["phase"] == "select"]
    rounds = sorted({h["round"] for h in select})
    after = []
    for r in rounds:
        later = [h for h in model.history_ if h["round"] > r]
        after.append(later[0]["n_features"])
    return after


def test_double_descent_rounds_shrink_the_features():
    X, y = _data(n_samples=120, n_features=40)
    model = SparseSupervisedAutoencoder(**{**TINY, "n_rounds": 3, "n_subclasses": 1,
                                           "eta": 0.05}).fit(X, y)
    counts = [h["n_features"] for h in model.history_ if h["phase"] == "select"]
    per_round = counts[TINY["n_epochs"][0] - 1::TINY["n_epochs"][0]]
    assert per_round[0] == 40 and per_round[1] <= 20 + 1 and per_round[2] <= per_round[1]
    assert len(per_round) == 3


def test_auto_rounds_halve_until_eta_binds(monkeypatch):
    X, y = _data(n_samples=120, n_features=64)
    spy = _Spy(monkeypatch)
    model = SparseSupervisedAutoencoder(**{**TINY, "n_rounds": "auto", "n_subclasses": 1,
                                           "eta": 0.05}).fit(X, y)
    after = _features_after_each_round(model)
    radii = [radius for radius, _ in spy.norms_after_projection]
    assert len(after) == len(radii) >= 2
    # every round but the last keeps half of the survivors, at a radius above eta
    for before, kept in zip([64] + after[:-2], after[:-1]):
        assert kept == pytest.approx(before / 2, abs=1)
    assert all(radius > 0.05 for radius in radii[:-1])
    # the last round projects at eta, which removes at most half of the survivors
    assert radii[-1] == 0.05 and spy.norms_after_projection[-1][1] <= 0.05 * (1 + 1e-5)
    assert after[-1] >= (after[-2] if len(after) > 1 else 64) / 2 - 1


@pytest.mark.parametrize("target", [7, 0.25])
def test_n_features_to_select_is_exact(target):
    X, y = _data(n_samples=120, n_features=40)
    model = SparseSupervisedAutoencoder(**{**TINY, "n_rounds": "auto", "n_subclasses": 1,
                                           "n_features_to_select": target}).fit(X, y)
    expected = target if isinstance(target, int) else 10
    assert len(model.selected_features_) == expected
    counts = [h["n_features"] for h in model.history_ if h["phase"] == "select"]
    assert counts[0] == 40 and min(counts) >= expected
    with pytest.raises(ValueError, match="between 1 and the number of features .40., got 41"):
        SparseSupervisedAutoencoder(**{**TINY, "n_features_to_select": 41}).fit(X, y)


def test_subclass_passes(monkeypatch):
    import skproj._subclasses

    X, y = _data(n_samples=160, n_features=30)
    starts, calls = [], []
    original_start = skproj._subclasses.subclasses_at_sparsity
    original = skproj._subclasses.assign_subclasses

    def spy_start(X, y, n_classes, n_subclasses, n_features):
        starts.append(n_features)
        return original_start(X, y, n_classes, n_subclasses, n_features)

    def spy(X, y, n_classes, n_subclasses, support, previous=None):
        calls.append((support.copy(), previous))
        return original(X, y, n_classes, n_subclasses, support, previous=previous)

    monkeypatch.setattr(skproj._subclasses, "subclasses_at_sparsity", spy_start)
    monkeypatch.setattr(skproj._subclasses, "assign_subclasses", spy)
    one = SparseSupervisedAutoencoder(**{**TINY, "n_subclasses": 1, "eta": 0.2}).fit(X, y)
    assert starts == [] and calls == []
    model = SparseSupervisedAutoencoder(**{**TINY, "n_subclasses": 2, "eta": 0.2}).fit(X, y)
    # the first split: the linear model, as sparse as the pass on the labels
    assert len(starts) == 1 and 0 < starts[0] < 30
    # then the clusters are fitted on what the pass before kept, from the last split
    assert len(calls) <= _training.MAX_SUBCLASS_PASSES - 1
    assert all(previous is not None for _, previous in calls)
    assert all(0 < support.sum() < 30 for support, _ in calls)
    # a pass of rounds on the labels, then one after the first split and after
    # every split that changed (not after a split that repeated the one before)
    passes = len({h["round"] for h in model.history_ if h["phase"] == "select"}) // TINY["n_rounds"]
    assert passes in (len(calls) + 1, len(calls) + 2)
    if passes == len(calls) + 1:
        assert set(model.selected_features_) <= set(np.flatnonzero(calls[-1][0]))
    assert len({h["round"] for h in one.history_ if h["phase"] == "select"}) == TINY["n_rounds"]
    # the final network predicts the classes: one latent unit per class
    assert model.transform(X).shape == (160, 2)
    assert model.network_.encoder[-1].out_features == 2


def test_projected_norm_after_every_step(monkeypatch):
    X, y = _data()
    eta = 0.3
    spy = _Spy(monkeypatch)
    model = SparseSupervisedAutoencoder(**{**TINY, "training": "projected", "eta": eta})
    model.fit(X, y)
    steps = sum(TINY["n_epochs"]) * 5
    assert len(spy.norms_after_projection) == 1 + steps  # once at the start, then every step
    assert all(r == eta and n <= eta * (1 + 1e-5) for r, n in spy.norms_after_projection)
    assert all(h["radius"] <= eta * (1 + 1e-5) for h in model.history_)
    assert spy.violations == 0
    # phase two keeps the zeros of the end of phase one
    select_end = [h for h in model.history_ if h["phase"] == "select"][-1]["n_features"]
    assert model.history_[-1]["n_features"] <= select_end


@pytest.mark.parametrize("projection", list(P.MATRIX_CONSTRAINTS) + [None])
def test_every_projection(projection):
    X, y = _data()
    model = SparseSupervisedAutoencoder(**{**TINY, "projection": projection, "eta": 0.3})
    model.fit(X, y)
    assert model.score(X, y) > 0.5
    if projection is None:
        assert len(model.selected_features_) == 20
        assert [h["phase"] for h in model.history_] == ["dense"] * TINY["n_epochs"][1]
    else:
        assert len(model.selected_features_) < 20


def test_selects_informative_features():
    X, y = make_classification(n_samples=300, n_features=60, n_informative=4, n_redundant=0,
                               shuffle=False, class_sep=2.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    model = SparseSupervisedAutoencoder(hidden_layer_sizes=(16,), n_epochs=(5, 10), n_rounds=3,
                                        eta=0.3, learning_rate=1e-2, random_state=0).fit(X, y)
    assert model.score(X, y) > 0.85
    assert np.mean(model.selected_features_ < 4) >= 0.75


def test_select_from_model():
    X, y = _data()
    selector = SelectFromModel(SparseSupervisedAutoencoder(**{**TINY, "eta": 0.2}),
                               threshold=1e-12).fit(X, y)
    np.testing.assert_array_equal(np.flatnonzero(selector.get_support()),
                                  selector.estimator_.selected_features_)


def test_projection_feature_selector():
    import skproj

    X, y = _data()
    selector = skproj.ProjectionFeatureSelector(
        estimator=SparseSupervisedAutoencoder(**{**TINY, "eta": 0.2}))
    Xt = selector.fit(X, y).transform(X)
    assert 0 < Xt.shape[1] <= 20


def test_grid_search_over_eta_two_jobs():
    X, y = _data()
    search = GridSearchCV(SparseSupervisedAutoencoder(**TINY), {"eta": [0.05, 0.5]}, cv=2,
                          n_jobs=2).fit(X, y)
    # the parallel fits (threads limited in the workers) equal sequential ones
    for eta, score in zip(search.cv_results_["param_eta"],
                          search.cv_results_["mean_test_score"]):
        sequential = cross_val_score(SparseSupervisedAutoencoder(**{**TINY, "eta": eta}),
                                     X, y, cv=2)
        assert score == pytest.approx(sequential.mean(), abs=1e-12)


def test_workers_limit_torch_threads():
    X, y = _data()
    result = cross_validate(SparseSupervisedAutoencoder(**TINY), X, y, cv=2, n_jobs=2,
                            return_estimator=True)
    limit = max(1, (os.cpu_count() or 1) // 2)
    assert all(est.n_threads_ <= limit for est in result["estimator"])


def test_thread_workers_use_one_thread_and_restore():
    from joblib import parallel_config

    X, y = _data()
    before = torch.get_num_threads()
    with parallel_config(backend="threading"):
        result = cross_validate(SparseSupervisedAutoencoder(**TINY), X, y, cv=2, n_jobs=2,
                                return_estimator=True)
    assert all(est.n_threads_ == 1 for est in result["estimator"])
    assert torch.get_num_threads() == before
    model = SparseSupervisedAutoencoder(**TINY)
    worker = threading.Thread(target=model.fit, args=(X, y))
    worker.start()
    worker.join()
    assert model.n_threads_ == 1 and torch.get_num_threads() == before


def test_auto_batch_size_makes_8_steps_per_epoch():
    # 80 samples: batches of ceil(80 / 8) = 10, so the same fit as batch_size=10
    X, y = _data()
    auto = SparseSupervisedAutoencoder(**{**TINY, "batch_size": "auto"}).fit(X, y)
    ten = SparseSupervisedAutoencoder(**{**TINY, "batch_size": 10}).fit(X, y)
    np.testing.assert_array_equal(auto.predict_proba(X), ten.predict_proba(X))
    assert auto.batch_size_ == ten.batch_size_ == 10
    nine = SparseSupervisedAutoencoder(**{**TINY, "batch_size": 9}).fit(X, y)
    assert not np.array_equal(auto.predict_proba(X), nine.predict_proba(X))
    with pytest.raises(ValueError, match="batch_size"):
        SparseSupervisedAutoencoder(batch_size="large").fit(X, y)


def test_verbose(capsys):
    X, y = _data()
    SparseSupervisedAutoencoder(**TINY).fit(X, y)
    assert capsys.readouterr().out == ""
    model = SparseSupervisedAutoencoder(**{**TINY, "verbose": 1}).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(model.history_)
    assert "epoch" in lines[0] and "train acc" in lines[0]


def test_bad_parameters():
    X, y = _data()
    with pytest.raises(ValueError, match="n_epochs"):
        SparseSupervisedAutoencoder(n_epochs=(1, 2, 3)).fit(X, y)
    with pytest.raises(ValueError, match="learning_rate"):
        SparseSupervisedAutoencoder(learning_rate=(1e-3, -1.0)).fit(X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        SparseSupervisedAutoencoder(hidden_layer_sizes=(0,)).fit(X, y)


def test_missing_torch_message(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)
    X, y = _data()
    with pytest.raises(ImportError, match="pip install torch"):
        SparseSupervisedAutoencoder(**TINY).fit(X, y)


def test_cuda_request_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, y = _data()
    with pytest.raises(ValueError, match="no CUDA device"):
        SparseSupervisedAutoencoder(**{**TINY, "device": "cuda"}).fit(X, y)
    assert SparseSupervisedAutoencoder(**{**TINY, "device": "auto"}).fit(X, y).device_ == "cpu"


@pytest.mark.cuda
def test_cuda_fit_predict_pickle():
    X, y = _data()
    model = SparseSupervisedAutoencoder(**{**TINY, "device": "cuda"}).fit(X, y)
    assert model.device_ == "cuda" and model.device == "cuda"
    assert model.network_.encoder[0].weight.device.type == "cuda"
    proba = model.predict_proba(X)
    clone = pickle.loads(pickle.dumps(model))
    assert clone.device_ == "cuda"
    np.testing.assert_allclose(clone.predict_proba(X), proba, rtol=1e-6)
    auto = SparseSupervisedAutoencoder(**{**TINY, "device": "auto"}).fit(X, y)
    assert auto.device_ == "cuda"


def test_permutation_importances_equal_a_full_forward_with_permuted_columns():
    X, y = _data(n_classes=3)
    model = SparseSupervisedAutoencoder(**{**TINY, "eta": 0.3}).fit(X, y)
    selected = model.selected_features_
    assert 0 < len(selected) < 20
    X32 = X.astype(np.float32).astype(np.float64)
    computed = _training.permutation_importances(model.network_, X32, y, selected, seed=7)
    rng = np.random.default_rng(7)

    def cross_entropy(X_):
        proba = model.predict_proba(X_)
        return -np.mean(np.log(proba[np.arange(len(y)), y]))

    base = cross_entropy(X32)
    expected = np.zeros(20)
    for j in selected:
        increases = []
        for _ in range(_training.PERMUTATION_REPEATS):
            permuted = X32.copy()
            permuted[:, j] = X32[rng.permutation(len(y)), j]
            increases.append(cross_entropy(permuted) - base)
        expected[j] = np.mean(increases)
    np.testing.assert_allclose(computed, expected, rtol=1e-6, atol=1e-9)
    assert np.all(model.permutation_importances_[np.setdiff1d(np.arange(20), selected)] == 0)
    assert model.permutation_importances_.max() > 0
