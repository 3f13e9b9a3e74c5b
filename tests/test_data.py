"""The data script and the checks on data files."""

import shutil

import numpy as np
import pytest

from data_xor import make_xor_data as mk
from hw04 import inputs
from make_homework import ROOT


def test_script_reproduces_the_shipped_csvs_byte_for_byte(tmp_path):
    written = mk.write_xor_data(tmp_path)
    assert sorted(written) == sorted(mk.DATA_FILES)
    for name in mk.DATA_FILES:
        assert (tmp_path / name).read_bytes() == (ROOT / "data_xor" / name).read_bytes()


def test_the_script_writes_the_files_the_package_reads():
    # The script stays standalone, so the names live in both; they must agree.
    assert mk.DATA_FILES == inputs.DATA_FILES


def test_shipped_data_is_the_homeworks_xor(xor_data):
    for x_N2, y_N in (xor_data[:2], xor_data[2:]):
        assert x_N2.shape == (1000, 2) and y_N.shape == (1000,)
        quadrant_N = (np.sign(x_N2[:, 0]) > 0) * 2 + (np.sign(x_N2[:, 1]) > 0)
        assert np.bincount(quadrant_N).tolist() == [250] * 4
        np.testing.assert_array_equal(y_N, (x_N2[:, 0] * x_N2[:, 1] > 0).astype(int))
        assert 0.17 < np.std(np.abs(x_N2) - 1) < 0.23


def test_script_refuses_to_overwrite_other_contents(tmp_path):
    mk.write_xor_data(tmp_path)
    (tmp_path / "x_train.csv").write_text("x1,x2\n0,0\n")
    with pytest.raises(FileExistsError, match="--force"):
        mk.write_xor_data(tmp_path)
    assert (tmp_path / "x_train.csv").read_text() == "x1,x2\n0,0\n"
    assert mk.write_xor_data(tmp_path, force=True) == ["x_train.csv"]
    assert mk.write_xor_data(tmp_path) == []


def test_script_cli_says_what_it_did(tmp_path, capsys):
    mk.main(["--out-dir", str(tmp_path), "--noise-sd", "0.3", "--seed", "1"])
    assert "wrote x_train.csv" in capsys.readouterr().out
    mk.main(["--out-dir", str(tmp_path), "--noise-sd", "0.3", "--seed", "1"])
    assert "up to date" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="--force"):
        mk.main(["--out-dir", str(tmp_path)])


@pytest.fixture
def data_copy(tmp_path):
    for name in mk.DATA_FILES:
        shutil.copy(ROOT / "data_xor" / name, tmp_path / name)
    return tmp_path


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("x_train.csv", None, r"Missing data file .*x_train\.csv.*make_xor_data\.py"),
        ("x_train.csv", "a,b\n1,2\n", "must start with the header line 'x1,x2'"),
        ("x_train.csv", "x1,x2\n1,2,3\n", r"has 3 column\(s\) per row, expected 2"),
        ("x_train.csv", "x1,x2\n1,2\n3\n", "not a CSV of 2 number column"),
        (
            "x_train.csv",
            "x1,x2\n1,nan\n",
            "NaN or infinite values, first on data row 1",
        ),
        (
            "y_train.csv",
            "y\n" + "0\n2\n" * 500,
            r"binary labels 0 or 1, but has \[2\.0\]",
        ),
        ("y_train.csv", "y\n" + "1\n" * 1000, "only the label 1"),
        ("y_test.csv", "y\n0\n1\n", "has 1000 rows but .*y_test.csv has 2"),
        ("x_test.csv", "x1,x2\n", "has a header but no rows"),
        ("y_test.csv", "y\nyes\n", "not a CSV of 1 number"),
    ],
)
def test_bad_data_gets_a_clear_error(data_copy, name, text, message):
    if text is None:
        (data_copy / name).unlink()
    else:
        (data_copy / name).write_text(text)
    with pytest.raises(inputs.HomeworkInputError, match=message):
        inputs.load_xor_data(data_copy, homework_dir=ROOT)
