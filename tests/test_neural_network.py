"""skproj.neural_network: sparse MLPs with a target number of non-zero weights; Mackey-Glass."""

import math
import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    parametrize_with_checks,
)

from skproj.datasets import make_mackey_glass
from sparse_inputs import assert_sparse_fit_equals_dense

torch = pytest.importorskip("torch")

from skproj.neural_network import SparseMLPClassifier, SparseMLPRegressor  # noqa: E402

# Small and fast: every estimator check fits several times.
FAST = dict(target_nonzeros=0.5, hidden_layer_sizes=(8,), n_epochs=8, n_finetune_epochs=8,
            learning_rate=1e-2, batch_size=32, max_trials=3, tol=0.2, random_state=0)
# Without early stopping (all the samples train, every fine-tuning epoch runs),
# unless a test asks for it.
# On the CPU whatever the machine (the default "auto" picks a GPU where one is present).
TINY = dict(hidden_layer_sizes=(16,), n_epochs=25, n_finetune_epochs=10, learning_rate=1e-2,
            batch_size=32, random_state=0, early_stopping=False, device="cpu")




@parametrize_with_checks([SparseMLPRegressor(**FAST), SparseMLPClassifier(**FAST),
                          SparseMLPRegressor(**FAST, early_stopping=False),
                          SparseMLPClassifier(**FAST, early_stopping=False)])
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


@pytest.mark.parametrize("Estimator", [SparseMLPRegressor, SparseMLPClassifier])
@pytest.mark.parametrize("check", [check_param_validation,
                                   check_dataframe_column_names_consistency],
                         ids=lambda c: getattr(c, "__name__", c))
def test_checks_sklearn_runs_on_itself(Estimator, check):
    pytest.importorskip("pandas")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(Estimator.__name__, Estimator(**FAST))


def _regression(n_samples=150, seed=0):
    X, y = make_regression(n_samples=n_samples, n_features=6, n_informative=3, noise=1.0,
                           random_state=seed)
    return X, y


def _classification(n_classes=3, seed=0):
    X, y = make_classification(n_samples=150, n_features=6, n_informative=4, n_redundant=0,
                               n_classes=n_classes, random_state=seed)
    return X, y


def test_regressor_reaches_the_global_target():
    X, y = _regression()
    model = SparseMLPRegressor(40, **TINY).fit(X, y)
    assert model.target_reached_ and abs(model.n_nonzeros_.sum() - 40) <= 2
    np.testing.assert_array_equal(model.n_weights_, [96, 16])
    np.testing.assert_array_equal(model.target_nonzeros_, [40])
    # the counts are those of the fitted weights, and the fine-tuning kept the zeros
    np.testing.assert_array_equal(model.n_nonzeros_, [np.count_nonzero(c) for c in model.coefs_])
    assert [c.shape for c in model.coefs_] == [(6, 16), (16, 1)]
    assert [b.shape for b in model.intercepts_] == [(16,), (1,)]
    assert model.alpha_.shape == (2,) and model.alpha_[0] == model.alpha_[1] > 0
    assert model.n_trials_ == len(model.trials_) <= 10
    assert model.score(X, y) > 0.8
    # the last trial's count is where the fine-tuning started, and stays
    finetune = [h for h in model.history_ if h["phase"] == "finetune"]
    assert len(finetune) == TINY["n_finetune_epochs"]
    assert all(h["nonzeros"] == model.n_nonzeros_.sum() for h in finetune)
    search = [h for h in model.history_ if h["phase"] == "search"]
    assert len(search) == model.n_trials_ * TINY["n_epochs"]
    assert model.n_epochs_total_ == len(model.history_)
    assert {h["trial"] for h in search} == set(range(model.n_trials_))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_regressor_per_layer_targets_each_met_with_a_small_output_layer(seed):
    # three of the 8 output weights: every unit of the last hidden layer whose
    # output weight comes or goes takes its incoming weights along
    X, y = _regression(seed=seed)
    target = np.array([30, 40, 3])
    model = SparseMLPRegressor(target, **{**TINY, "hidden_layer_sizes": (16, 8),
                                          "random_state": seed}).fit(X, y)
    assert model.target_reached_ and model.n_trials_ <= 10
    assert np.all(np.abs(model.n_nonzeros_ - target) <= np.maximum(0.05 * target, 1))
    # every trial kept the weights of an epoch of its last half (ClosestToTarget)
    for trial in model.trials_:
        epochs = [h["nonzeros"] for h in model.history_
                  if h["phase"] == "search" and h["trial"] == trial["trial"]]
        assert trial["total"] in epochs[len(epochs) // 2:]


def test_classifier_per_layer_targets_each_met_and_labels_kept():
    X, y = _classification()
    labels = np.array(["ant", "bee", "cat"])[y]
    model = SparseMLPClassifier([30, 20], **TINY).fit(X, labels)
    assert model.target_reached_
    assert np.all(np.abs(model.n_nonzeros_ - [30, 20]) <= [2, 1])
    assert len(set(model.alpha_)) == 2
    assert list(model.classes_) == ["ant", "bee", "cat"]
    proba = model.predict_proba(X)
    assert proba.shape == (150, 3) and np.allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])
    assert model.score(X, labels) > 0.7


def test_trials_start_from_denser_trials_on_request():
    X, y = _regression()
    model = SparseMLPRegressor(40, **{**TINY, "trial_start": "denser"}).fit(X, y)
    assert model.target_reached_
    for i, trial in enumerate(model.trials_):
        denser = any(t["total"] > 40 for t in model.trials_[:i])
        assert trial["warm"] == denser
    assert any(t["warm"] for t in model.trials_)  # this problem has a denser trial


def test_trials_continue_the_previous_trial_on_request():
    X, y = _regression()
    with warnings.catch_warnings():
        # the count then depends on the epochs before too: here no trial meets it
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SparseMLPRegressor(40, **{**TINY, "trial_start": "previous"}).fit(X, y)
    for i, trial in enumerate(model.trials_):
        alive = any(np.all(t["nonzeros"] > 0) for t in model.trials_[:i])
        assert trial["warm"] == alive
    assert len(model.trials_) > 1 and model.trials_[-1]["warm"]


def test_trials_start_from_the_dense_network_on_request():
    X, y = _regression()
    params = {**TINY, "n_dense_epochs": 7}
    model = SparseMLPRegressor(40, **params).fit(X, y)
    assert model.target_reached_ and abs(model.n_nonzeros_.sum() - 40) <= 2
    phases = [h["phase"] for h in model.history_]
    assert phases[:7] == ["dense"] * 7 and "dense" not in phases[7:]
    assert all(h["nonzeros"] == model.n_weights_.sum() for h in model.history_[:7])
    assert model.n_epochs_total_ == 7 + model.n_trials_ * TINY["n_epochs"] + sum(
        p == "finetune" for p in phases)
    again = SparseMLPRegressor(40, **params).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), again.predict(X))
    # the trials start elsewhere than from the fresh initialization
    fresh = SparseMLPRegressor(40, **TINY).fit(X, y)
    assert fresh.history_[0]["loss"] != model.history_[7]["loss"]


def test_reweighting_power_reaches_the_target_deterministically():
    X, y = _regression()
    params = {**TINY, "n_dense_epochs": 7, "reweighting_power": 1.0}
    model = SparseMLPRegressor(40, **params).fit(X, y)
    assert model.target_reached_ and abs(model.n_nonzeros_.sum() - 40) <= 2
    again = SparseMLPRegressor(40, **params).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), again.predict(X))
    np.testing.assert_array_equal(model.alpha_, again.alpha_)
    # the weighted penalty changes the trials (same dense network, same batches)
    plain = SparseMLPRegressor(40, **{**params, "reweighting_power": None}).fit(X, y)
    assert not np.array_equal(model.alpha_, plain.alpha_)
    with pytest.raises(ValueError, match="reweighting_power needs n_dense_epochs > 0"):
        SparseMLPRegressor(40, **{**TINY, "reweighting_power": 1.0}).fit(X, y)


def test_finetune_start_dense_fine_tunes_the_dense_weights_under_the_found_mask():
    X, y = _regression()
    params = {**TINY, "n_dense_epochs": 7, "n_finetune_epochs": 0}
    penalized = SparseMLPRegressor(40, **params).fit(X, y)
    rewound = SparseMLPRegressor(40, finetune_start="dense", **params).fit(X, y)
    dense = SparseMLPRegressor(None, **{**TINY, "n_epochs": 7}).fit(X, y)
    assert penalized.finetune_start_ == "penalized" and rewound.finetune_start_ == "dense"
    assert dense.finetune_start_ is None
    # no fine-tuning: the dense network's weights where the search's network has
    # non-zeros, its biases whole
    for w, w_dense, w_search in zip(rewound.coefs_, dense.coefs_, penalized.coefs_):
        np.testing.assert_array_equal(w, w_dense * (w_search != 0))
    for b, b_dense in zip(rewound.intercepts_, dense.intercepts_):
        np.testing.assert_array_equal(b, b_dense)
    assert rewound.target_reached_ and abs(rewound.n_nonzeros_.sum() - 40) <= 2
    # fine-tuned: the same zeros, other weights, deterministically
    params["n_finetune_epochs"] = 10
    model = SparseMLPRegressor(40, finetune_start="dense", **params).fit(X, y)
    np.testing.assert_array_equal(model.n_nonzeros_, rewound.n_nonzeros_)
    assert not np.array_equal(model.coefs_[0], rewound.coefs_[0])
    again = SparseMLPRegressor(40, finetune_start="dense", **params).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), again.predict(X))


def test_finetune_start_best_keeps_the_lower_validation_loss_and_counts_both():
    X, y = _regression()
    params = {**TINY, "n_dense_epochs": 7, "n_finetune_epochs": 20, "n_iter_no_change": 5,
              "early_stopping": True}
    fits = {start: SparseMLPRegressor(40, finetune_start=start, **params).fit(X, y)
            for start in ("penalized", "dense", "best")}
    best = fits["best"]
    winner = min(("penalized", "dense"), key=lambda start: fits[start].best_validation_loss_)
    assert best.finetune_start_ == winner
    assert best.best_validation_loss_ == fits[winner].best_validation_loss_
    assert best.validation_losses_ == fits[winner].validation_losses_
    np.testing.assert_array_equal(best.predict(X), fits[winner].predict(X))
    assert best.target_reached_ and abs(best.n_nonzeros_.sum() - 40) <= 2
    # both fine-tunings ran and are counted
    def n_finetune(model):
        return sum(h["phase"] == "finetune" for h in model.history_)
    assert n_finetune(best) == n_finetune(fits["penalized"]) + n_finetune(fits["dense"])
    assert (best.n_epochs_total_ - fits["penalized"].n_epochs_total_
            == n_finetune(fits["dense"]))
    again = SparseMLPRegressor(40, finetune_start="best", **params).fit(X, y)
    np.testing.assert_array_equal(best.predict(X), again.predict(X))


def test_magnitude_support_prunes_the_same_dense_network_as_the_l1_search_starts_from():
    X, y = _regression()
    params = {**TINY, "n_dense_epochs": 7, "n_finetune_epochs": 0, "early_stopping": True}
    rewound = SparseMLPRegressor(40, finetune_start="dense", **params).fit(X, y)
    pruned = SparseMLPRegressor(40, support="magnitude", **params).fit(X, y)
    assert pruned.target_reached_ and pruned.n_nonzeros_.sum() == 40
    assert pruned.n_trials_ == 0 and pruned.finetune_start_ == "dense"
    assert pruned.n_epochs_total_ == 7
    np.testing.assert_array_equal(pruned.alpha_, 0)
    # both hold the dense network trained on the same rows: equal where both kept a weight
    both = [(a != 0) & (b != 0) for a, b in zip(pruned.coefs_, rewound.coefs_)]
    assert sum(mask.sum() for mask in both) > 0
    for a, b, mask in zip(pruned.coefs_, rewound.coefs_, both):
        np.testing.assert_array_equal(a[mask], b[mask])
    for a, b in zip(pruned.intercepts_, rewound.intercepts_):
        np.testing.assert_array_equal(a, b)
    # the kept weights are the 40 largest of the dense network
    kept = np.concatenate([np.abs(w).ravel() for w in pruned.coefs_])
    assert kept[kept > 0].min() >= max(np.abs(w[(w != 0) & ~m]).max(initial=0)
                                       for w, m in zip(rewound.coefs_, both))


def test_magnitude_support_per_layer_fine_tuned_deterministically():
    X, y = _regression()
    params = {**TINY, "n_dense_epochs": 7, "n_finetune_epochs": 10}
    model = SparseMLPRegressor([30, 5], support="magnitude", **params).fit(X, y)
    np.testing.assert_array_equal(model.n_nonzeros_, [30, 5])
    np.testing.assert_array_equal(model.target_nonzeros_, [30, 5])
    assert model.target_reached_ and model.n_epochs_total_ == 17
    again = SparseMLPRegressor([30, 5], support="magnitude", **params).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), again.predict(X))
    assert model.score(X, y) > 0.5


def test_cosine_finetuning_reaches_the_target_deterministically_and_decays_to_zero():
    from skproj.neural_network._mlp import _CosineDecay

    X, y = _regression()
    params = {**TINY, "n_dense_epochs": 7, "n_finetune_epochs": 10}
    constant = SparseMLPRegressor(40, **params).fit(X, y)
    cosine = SparseMLPRegressor(40, finetune_lr_schedule="cosine", **params).fit(X, y)
    again = SparseMLPRegressor(40, finetune_lr_schedule="cosine", **params).fit(X, y)
    np.testing.assert_array_equal(cosine.predict(X), again.predict(X))
    assert cosine.target_reached_ and abs(cosine.n_nonzeros_.sum() - 40) <= 2
    # the same search, another fine-tuning
    assert cosine.trials_[-1]["alpha"].tolist() == constant.trials_[-1]["alpha"].tolist()
    assert not np.array_equal(cosine.predict(X), constant.predict(X))
    optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.4)
    decay = _CosineDecay(torch, optimizer, 10)
    rates = []
    for _ in range(10):
        decay.on_step_end(None)
        rates.append(optimizer.param_groups[0]["lr"])
    np.testing.assert_allclose(rates, [0.2 * (1 + math.cos(math.pi * k / 10))
                                       for k in range(1, 11)], atol=1e-12)


def test_support_and_schedule_bad_values():
    X, y = _regression()
    with pytest.raises(ValueError, match="support='magnitude' needs n_dense_epochs > 0"):
        SparseMLPRegressor(40, support="magnitude", **TINY).fit(X, y)
    with pytest.raises(ValueError, match="support"):
        SparseMLPRegressor(40, support="random", n_dense_epochs=5, **TINY).fit(X, y)
    with pytest.raises(ValueError, match="finetune_lr_schedule"):
        SparseMLPRegressor(40, finetune_lr_schedule="step", **TINY).fit(X, y)


def test_finetune_start_bad_values():
    X, y = _regression()
    with pytest.raises(ValueError, match="finetune_start='dense' needs n_dense_epochs > 0"):
        SparseMLPRegressor(40, finetune_start="dense", **TINY).fit(X, y)
    with pytest.raises(ValueError, match="finetune_start='best' needs early_stopping=True"):
        SparseMLPRegressor(40, finetune_start="best", n_dense_epochs=5, **TINY).fit(X, y)
    with pytest.raises(ValueError, match="finetune_start"):
        SparseMLPRegressor(40, finetune_start="rewind", n_dense_epochs=5, **TINY).fit(X, y)


def test_alpha_warmup_reaches_the_target_deterministically():
    X, y = _regression()
    params = {**TINY, "alpha_warmup": 0.5}
    model = SparseMLPRegressor(40, **params).fit(X, y)
    assert model.target_reached_ and abs(model.n_nonzeros_.sum() - 40) <= 2
    # the penalty bites later: the first trial is denser at its first epoch than without
    plain = SparseMLPRegressor(40, **TINY).fit(X, y)
    assert model.history_[0]["nonzeros"] > plain.history_[0]["nonzeros"]
    again = SparseMLPRegressor(40, **params).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), again.predict(X))
    np.testing.assert_array_equal(model.alpha_, again.alpha_)


def test_share_target_and_dense_model():
    X, y = _regression()
    share = SparseMLPRegressor(0.25, **TINY).fit(X, y)
    np.testing.assert_array_equal(share.target_nonzeros_, [28])  # 25 % of 112 weights
    dense = SparseMLPRegressor(None, **TINY).fit(X, y)
    np.testing.assert_array_equal(dense.n_nonzeros_, dense.n_weights_)
    assert dense.n_trials_ == 0 and np.all(dense.alpha_ == 0)
    assert {h["phase"] for h in dense.history_} == {"dense"}


def test_same_random_state_same_model():
    X, y = _regression()
    a = SparseMLPRegressor(40, **TINY).fit(X, y)
    b = SparseMLPRegressor(40, **TINY).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    np.testing.assert_array_equal(a.alpha_, b.alpha_)
    c = SparseMLPRegressor(40, **{**TINY, "random_state": 1}).fit(X, y)
    assert not np.array_equal(a.predict(X), c.predict(X))


def test_early_stopping_keeps_the_mask_and_the_best_weights():
    X, y = _regression()
    params = {**TINY, "n_finetune_epochs": 60, "n_iter_no_change": 5}
    del params["early_stopping"]
    model = SparseMLPRegressor(40, **params).fit(X, y)  # early stopping is the default
    assert model.target_reached_
    finetune = [h for h in model.history_ if h["phase"] == "finetune"]
    search = [h for h in model.history_ if h["phase"] == "search"]
    # the mask is frozen: the count the last trial left is the count of every
    # fine-tuning epoch and of the fitted network
    kept = model.trials_[-1]["total"]
    assert all(h["nonzeros"] == kept for h in finetune) and model.n_nonzeros_.sum() == kept
    # losses: before fine-tuning, then one per epoch run; stopped n_iter_no_change
    # epochs after the best unless the budget ran out first
    losses = model.validation_losses_
    assert len(losses) == len(finetune) + 1
    assert [h["validation_loss"] for h in finetune] == losses[1:]
    assert all(h["validation_loss"] is None for h in search)
    assert model.best_validation_loss_ == min(losses) == losses[model.best_epoch_]
    assert (len(finetune) == model.best_epoch_ + 5
            or len(finetune) == params["n_finetune_epochs"])
    assert len(finetune) < params["n_finetune_epochs"]  # this problem overfits at lr 1e-2
    # the fitted network is the best one: its loss on the held-out samples (15 of
    # the 150, drawn from random_state) is the best validation loss
    assert model.best_epoch_ < len(finetune)
    # the search trained on the other 135 samples only: a different network
    plain = SparseMLPRegressor(40, early_stopping=False, **params).fit(X, y)
    assert plain.validation_losses_ is None and plain.best_validation_loss_ is None
    assert plain.best_epoch_ == params["n_finetune_epochs"]
    assert not np.array_equal(plain.trials_[0]["alpha"], model.trials_[0]["alpha"])
    again = SparseMLPRegressor(40, **params).fit(X, y)
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    assert again.validation_losses_ == model.validation_losses_


def test_early_stopping_restores_the_weights_of_the_lowest_validation_loss():
    # n_iter_no_change larger than the budget: all the epochs run, and the weights
    # kept are those of the best epoch, not the last (checked by refitting with the
    # budget cut at the best epoch: the same network)
    X, y = _classification()
    params = {**TINY, "n_finetune_epochs": 30, "n_iter_no_change": 100, "early_stopping": True,
              "learning_rate": 3e-3}
    model = SparseMLPClassifier(30, **params).fit(X, y)
    assert len(model.validation_losses_) == 31
    best = model.best_epoch_
    assert 0 < best < 30  # the last epoch is not the best here
    cut = SparseMLPClassifier(30, **{**params, "n_finetune_epochs": best}).fit(X, y)
    assert cut.validation_losses_ == model.validation_losses_[:best + 1]
    np.testing.assert_array_equal(cut.predict_proba(X), model.predict_proba(X))


def test_early_stopping_for_the_dense_network_and_tiny_data():
    X, y = _regression()
    dense = SparseMLPRegressor(None, **{**TINY, "n_epochs": 200, "n_iter_no_change": 3,
                                        "early_stopping": True}).fit(X, y)
    dense_phase = [h for h in dense.history_ if h["phase"] == "dense"]
    assert len(dense_phase) == dense.best_epoch_ + 3 < 200
    assert dense.best_validation_loss_ == min(dense.validation_losses_)
    np.testing.assert_array_equal(dense.n_nonzeros_, dense.n_weights_)
    with pytest.raises(ValueError, match="early_stopping needs at least 2 samples"):
        SparseMLPRegressor(None, **{**TINY, "early_stopping": True}).fit(X[:1], y[:1])


def test_unreachable_target_warns_and_keeps_the_closest():
    X, y = _regression()
    with pytest.warns(ConvergenceWarning, match="closest network"):
        model = SparseMLPRegressor(40, **{**TINY, "max_trials": 1, "tol": 0.0}).fit(X, y)
    assert not model.target_reached_ and model.n_trials_ == 1
    assert model.n_nonzeros_.sum() == model.trials_[0]["total"]


def test_regressor_multi_output_and_target_scaling():
    X, y = _regression()
    Y = np.column_stack([y, 1000.0 * y + 5.0])
    model = SparseMLPRegressor(60, **TINY).fit(X, Y)
    prediction = model.predict(X)
    assert prediction.shape == (150, 2)
    np.testing.assert_allclose(prediction[:, 1], 1000.0 * prediction[:, 0] + 5.0, rtol=0.05,
                               atol=0.05 * np.std(Y[:, 1]))


def test_verbose_prints_trials(capsys):
    X, y = _regression()
    SparseMLPRegressor(40, **{**TINY, "verbose": 1, "n_finetune_epochs": 2}).fit(X, y)
    out = capsys.readouterr().out
    assert "[fit_to_nonzeros] trial 0" in out and "finetune" in out


def test_bad_targets():
    X, y = _regression()
    with pytest.raises(ValueError, match="exceeds the 112 weights"):
        SparseMLPRegressor(113, **TINY).fit(X, y)
    with pytest.raises(ValueError, match="must be 2 ints"):
        SparseMLPRegressor([10, 10, 10], **TINY).fit(X, y)
    with pytest.raises(ValueError, match="must be 2 ints"):
        SparseMLPRegressor([10, 17], **TINY).fit(X, y)  # 17 > the 16 weights of layer 2
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        SparseMLPRegressor(10, hidden_layer_sizes=(0,)).fit(X, y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        SparseMLPClassifier(10, **TINY).fit(X, np.zeros(len(X)))


def test_pickle_round_trip():
    X, y = _classification()
    model = SparseMLPClassifier(30, **TINY).fit(X, y)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(clone.n_nonzeros_, model.n_nonzeros_)
    assert clone.device_ == "cpu" and "network_" in vars(model)


def test_cuda_model_loads_without_cuda(monkeypatch):
    X, y = _regression()
    model = SparseMLPRegressor(40, **TINY).fit(X, y)
    expected = model.predict(X)
    state = model.__getstate__()
    state["device_"] = "cuda"  # what a fit on a GPU machine stores
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    restored = SparseMLPRegressor.__new__(SparseMLPRegressor)
    with pytest.warns(UserWarning, match="loaded on the CPU"):
        restored.__setstate__(state)
    assert restored.device_ == "cpu"
    np.testing.assert_array_equal(restored.predict(X), expected)


def test_cuda_request_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, y = _regression()
    with pytest.raises(ValueError, match="no CUDA device"):
        SparseMLPRegressor(40, **{**TINY, "device": "cuda"}).fit(X, y)


@pytest.mark.cuda
def test_cuda_fit_predict_pickle():
    X, y = _regression()
    model = SparseMLPRegressor(40, **{**TINY, "device": "cuda"}).fit(X, y)
    assert model.device_ == "cuda" and model.network_[0].weight.device.type == "cuda"
    assert model.target_reached_
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(clone.predict(X), model.predict(X), rtol=1e-6)


# --- Mackey-Glass ------------------------------------------------------------------------


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("Estimator", [SparseMLPRegressor, SparseMLPClassifier])
def test_sparse_input_fits_as_the_dense_copy(Estimator, early_stopping):
    # CSR, CSC, sparse arrays, int64 indices, read-only buffers: the same trials,
    # penalties, non-zeros and predictions as on the densified data.
    X, y = _regression() if Estimator is SparseMLPRegressor else _classification()
    X = np.where(np.random.default_rng(0).random(X.shape) < 0.6, 0.0, X)  # 60 % zeros
    model = Estimator(20, **{**TINY, "early_stopping": early_stopping})
    assert_sparse_fit_equals_dense(model, X, y, attributes=(
        "alpha_", "n_nonzeros_", "n_epochs_total_", "best_epoch_"))


def test_sparse_input_is_never_densified_whole(monkeypatch):
    # Only mini-batches and chunks of rows are densified, never the whole matrix.
    from scipy import sparse

    from skproj.neural_network import _mlp

    X, y = _classification()
    X_sparse = sparse.csr_matrix(np.where(X > 0, X, 0.0))
    shapes = []
    to_dense = sparse.csr_matrix.toarray

    def spy(self, *args, **kwargs):
        shapes.append(self.shape[0])
        return to_dense(self, *args, **kwargs)

    monkeypatch.setattr(sparse.csr_matrix, "toarray", spy)
    monkeypatch.setattr(_mlp, "_PREDICT_CHUNK", 40)
    model = SparseMLPClassifier(20, **{**TINY, "batch_size": 16}).fit(X_sparse, y)
    assert model.n_epochs_total_ * len(y) / 16 <= len(shapes)  # one per mini-batch at least
    model.predict(X_sparse)
    assert 0 < max(shapes) <= 40 < len(y)


def test_mackey_glass_windows_and_determinism():
    X, y = make_mackey_glass(200, n_lags=4, horizon=2, sample_step=1.0)
    assert X.shape == (200, 4) and y.shape == (200,)
    np.testing.assert_array_equal(X[1:, :-1], X[:-1, 1:])  # sliding windows
    np.testing.assert_array_equal(y[:-2], X[2:, -1])  # two steps ahead of the last input
    again, _ = make_mackey_glass(200, n_lags=4, horizon=2, sample_step=1.0)
    np.testing.assert_array_equal(X, again)
    other, _ = make_mackey_glass(200, n_lags=4, horizon=2, sample_step=1.0, random_state=1)
    assert not np.allclose(X, other)
    noisy_X, noisy_y = make_mackey_glass(200, n_lags=4, horizon=2, sample_step=1.0, noise=0.1)
    np.testing.assert_array_equal(noisy_X, X)
    assert 0.05 < np.std(noisy_y - y) < 0.2


def test_mackey_glass_solves_the_delay_equation():
    """Central differences of the series match the right-hand side with tau = 17."""
    dt = 0.1
    X, y = make_mackey_glass(3000, n_lags=1, sample_step=dt, dt=dt, n_transient=100)
    x = X[:, 0]
    delay = 170
    derivative = (x[delay + 2:] - x[delay:-2]) / (2 * dt)
    lagged = x[1:-delay - 1]
    right = 0.2 * lagged / (1 + lagged ** 10) - 0.1 * x[delay + 1:-1]
    np.testing.assert_allclose(derivative, right, atol=2e-4)
    assert np.abs(right).max() > 0.01  # not a trivial, flat series


def test_mackey_glass_bad_arguments():
    with pytest.raises(ValueError, match="sample_step must be a positive multiple of dt"):
        make_mackey_glass(10, sample_step=0.25)
    with pytest.raises(ValueError, match="n_lags must be a positive int"):
        make_mackey_glass(10, n_lags=0)
    with pytest.raises(ValueError, match="tau must be positive"):
        make_mackey_glass(10, tau=-1.0)
