"""Shared set-up: the repository on sys.path, a headless matplotlib, the data."""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import hw04_runs  # noqa: E402


@pytest.fixture(scope="session")
def xor_data():
    """The shipped data: x_tr_N2, y_tr_N, x_te_N2, y_te_N."""
    return hw04_runs.load_xor_data(ROOT / "data_xor")


@pytest.fixture(scope="session")
def small_xor():
    """200 training points of the shipped data, for fast fits."""
    x_tr_N2, y_tr_N, _, _ = hw04_runs.load_xor_data(ROOT / "data_xor")
    return x_tr_N2[:200], y_tr_N[:200]
