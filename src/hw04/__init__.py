"""The machinery behind the homework notebook ``hw04.ipynb``, one job per module.

* :mod:`hw04.inputs`: loading and checking the data folder and the parameters;
* :mod:`hw04.stats`: the rules for reading a run (solved, converged, what it
  predicts) and the small statistics the answers rest on;
* :mod:`hw04.training`: ``SeedTrainer``, one call per setting (processes, the
  exactness check, the cache of fitted runs, the progress line);
* :mod:`hw04.reproducible`: the BLAS kernel every route runs with, and the
  fingerprint of the runs;
* :mod:`hw04.engine`: the exact lockstep SGD engine and its compiled kernels;
* :mod:`hw04.export`: the PDF exporters of nbconvert and JupyterLab;
* :mod:`hw04.notebook`: executing the notebook (papermill) and reading it;
* :mod:`hw04.wording`: small phrases for the answers' f-strings;
* :mod:`hw04.install`: the set-up of an environment (and its uninstall);
* :mod:`hw04.sklearn_compat`: every private scikit-learn name used;
* :mod:`hw04.progress`: a progress bar that leaves one line;
* :mod:`hw04.errors`: the package's exceptions, shown in a notebook as their
  message.

The package works installed either way, editable or not: where it needs the
homework's folder (the data, the notebook, the results), the caller says where
it is.
"""
