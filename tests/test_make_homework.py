"""The command script's edges: a failed build leaves no PDF of another run."""

import subprocess
import sys
import time

from make_homework import ROOT


def test_a_failed_build_leaves_no_pdf_of_an_earlier_one(tmp_path):
    out = tmp_path / "build"
    out.mkdir()
    old = out / "hw04.pdf"
    old.write_bytes(b"%PDF-1.7 an earlier build\n")
    start = time.time()
    done = subprocess.run(
        [sys.executable, str(ROOT / "make_homework.py"), "pdf", "--seeds", "0", "1",
         "1", "--no-appendix", "--out", str(out)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert done.returncode != 0
    assert f"Removed {old}, of an earlier build." in done.stdout
    last = done.stderr.strip().splitlines()
    assert "seeds must be distinct; repeated: [1]" in last[0]
    assert last[-1] == f"No PDF was made; {old}, of an earlier build, was removed."
    pdfs = [p for p in out.rglob("*.pdf") if p.stat().st_mtime < start]
    assert not old.exists() and pdfs == []
