"""Make the XOR data set of homework 4, deterministically.

Four Gaussian blobs, one per quadrant, around the centres (+-1, +-1). A point is
labelled 1 when x1 * x2 > 0 (first and third quadrant) and 0 otherwise. The
same seed always gives the same CSV files, byte for byte.

Run it from anywhere::

    python data_xor/make_xor_data.py            # (re)make the shipped CSVs
    python data_xor/make_xor_data.py --help     # other noise, rotation, folder
"""

import argparse
import io
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
# The four files and their header lines, in the order the arrays come. The
# package's reader names them too (hw04.inputs.DATA_FILES; tests/test_data.py
# checks that they agree): this script stays standalone.
DATA_FILES = {
    "x_train.csv": "x1,x2",
    "y_train.csv": "y",
    "x_test.csv": "x1,x2",
    "y_test.csv": "y",
}
DEFAULT_SEED = 20190301
CENTRES_Q2 = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])


def make_xor_data(
    n_per_quadrant=250, noise_sd=0.2, rotation_deg=0.0, random_state=DEFAULT_SEED
):
    """Draw one train and one test set of the XOR problem.

    Parameters
    ----------
    n_per_quadrant : int, default=250
        Points per quadrant in each split.
    noise_sd : float, default=0.2
        Standard deviation of each coordinate around its centre.
    rotation_deg : float, default=0.0
        Rotate all points (and so the class boundary) by this angle.

    Returns
    -------
    x_tr_N2, y_tr_N, x_te_N2, y_te_N : ndarray
        Features of shape (N, 2) and labels of shape (N,) in {0, 1}, with
        N = 4 * n_per_quadrant, for the train and the test split.

    Examples
    --------
    >>> x_tr_N2, y_tr_N, x_te_N2, y_te_N = make_xor_data(n_per_quadrant=5)
    >>> x_tr_N2.shape, int(y_tr_N.sum())
    ((20, 2), 10)
    """
    if int(n_per_quadrant) < 1:
        raise ValueError(f"n_per_quadrant must be >= 1, got {n_per_quadrant}.")
    if not noise_sd >= 0:
        raise ValueError(f"noise_sd must be >= 0, got {noise_sd}.")
    rng = np.random.default_rng(random_state)
    theta = np.deg2rad(rotation_deg)
    rot_22 = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    centre_N2 = np.repeat(CENTRES_Q2, n_per_quadrant, axis=0)
    # The label follows the quadrant of the blob, as the homework defines it.
    y_N = (centre_N2[:, 0] * centre_N2[:, 1] > 0).astype(np.int64)
    splits = []
    for _ in ("train", "test"):
        x_N2 = centre_N2 + noise_sd * rng.standard_normal(centre_N2.shape)
        order_N = rng.permutation(len(y_N))
        splits += [(x_N2 @ rot_22.T)[order_N], y_N[order_N]]
    return tuple(splits)


def write_xor_data(out_dir, force=False, **make_kwargs):
    """Write the four CSV files into ``out_dir``; return the names written.

    A file that exists with other contents is left alone, and a
    ``FileExistsError`` says how to replace it, unless ``force`` is True.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = {}
    arrays = make_xor_data(**make_kwargs)
    for (name, header), arr in zip(DATA_FILES.items(), arrays, strict=True):
        fmt = "%d" if header == "y" else "%.6f"
        buf = io.StringIO()
        np.savetxt(buf, arr, fmt=fmt, delimiter=",", header=header, comments="")
        texts[name] = buf.getvalue()
    old = {n: (out_dir / n).read_text() for n in texts if (out_dir / n).exists()}
    stale = [name for name, text in texts.items() if old.get(name) != text]
    clashes = [name for name in stale if name in old]
    if clashes and not force:
        raise FileExistsError(
            f"{out_dir} already holds {', '.join(clashes)} with other contents. "
            "Pass --force to replace them, or choose another --out-dir."
        )
    for name in stale:
        (out_dir / name).write_text(texts[name])
    return stale


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument  # each option's name is its keyword of write_xor_data
    add("--out-dir", type=Path, default=HERE, help="default: %(default)s")
    add("--seed", type=int, default=DEFAULT_SEED, dest="random_state", metavar="SEED")
    add("--n-per-quadrant", type=int, default=250)
    add("--noise-sd", type=float, default=0.2)
    add("--rotation-deg", type=float, default=0.0)
    add("--force", action="store_true", help="replace differing files")
    args = parser.parse_args(argv)
    try:
        written = write_xor_data(**vars(args))
    except (FileExistsError, ValueError) as err:
        sys.exit(f"make_xor_data: {err}")
    done = f"wrote {', '.join(written)}" if written else "all files already up to date"
    print(f"{args.out_dir}: {done}")


if __name__ == "__main__":
    main()
