"""In a real Jupyter kernel: the package's exceptions show as their message, an
interrupt of training leaves one short message and no worker behind, and the
notebook's last cell tells what the exporters tell."""

import time

import pytest

from hw04 import reproducible
from make_homework import ROOT

jupyter_client = pytest.importorskip("jupyter_client")
nbformat = pytest.importorskip("nbformat")
from nbclient import NotebookClient  # noqa: E402

SETUP = f"""
from hw04 import inputs, training

x_tr_N2, y_tr_N, _, _ = inputs.load_xor_data(homework_dir={str(ROOT)!r})
"""


@pytest.fixture
def kernel(tmp_path):
    """The homework's kernel of this environment's Jupyter, in a folder of its own."""
    manager = jupyter_client.KernelManager(kernel_name=reproducible.KERNEL_NAME)
    manager.start_kernel(cwd=str(tmp_path))
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    try:
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def execute(client, code, on_busy=None, after="", timeout=120):
    """Run ``code``; return its error output's content or None, and the outputs.

    ``on_busy`` is called once, two seconds after the cell printed a line that
    holds ``after``."""
    msg_id = client.execute(code)
    error, outputs, started = None, [], None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            msg = client.get_iopub_msg(timeout=0.2)
        except Exception:  # queue.Empty: nothing new yet
            msg = None
        if started and on_busy and time.monotonic() - started > 2:
            on_busy()
            on_busy = None
        if msg is None or msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "error":
            error = content
        elif kind in ("stream", "display_data", "update_display_data"):
            outputs.append(content)
            printed = kind == "stream" and after in content["text"]
            started = started or (printed and time.monotonic())
        elif kind == "status" and content["execution_state"] == "idle":
            return error, outputs
    raise TimeoutError(f"the cell did not finish in {timeout} s")


def test_an_input_error_shows_as_its_message_only(kernel):
    _, client = kernel
    error, _ = execute(client, SETUP + "inputs.check_seeds([1, 1, 2])")
    assert error["ename"] == "HomeworkInputError"
    assert error["traceback"] == [
        "HomeworkInputError: seeds must be distinct; repeated: [1]."
    ]


def test_a_mistyped_data_dir_shows_one_line_naming_it(kernel):
    _, client = kernel
    code = f"inputs.load_xor_data('data_xr', homework_dir={str(ROOT)!r})"
    error, _ = execute(client, SETUP + code)
    assert len(error["traceback"]) == 1
    assert "data_dir 'data_xr' is not a folder" in error["traceback"][0]


def test_other_errors_keep_their_whole_traceback(kernel):
    _, client = kernel
    error, _ = execute(client, SETUP + "def f():\n    1 / 0\nf()")
    assert error["ename"] == "ZeroDivisionError" and len(error["traceback"]) > 2


def test_an_interrupt_during_training_says_what_is_kept_and_stops_the_workers(
    kernel, tmp_path, loky_workers
):
    manager, client = kernel
    code = SETUP + (
        "from sklearn.neural_network import MLPClassifier\n"
        "est = MLPClassifier(hidden_layer_sizes=[2], solver='sgd', batch_size=10,\n"
        "                    max_iter=400, tol=1e-8, random_state=0)\n"
        "trainer = training.SeedTrainer(engine='sklearn', n_jobs=2,\n"
        f"                               cache_dir={str(tmp_path / 'cache')!r})\n"
        "for name, n_seeds, epochs in (('first', 4, 2), ('second', 64, 400)):\n"
        "    print(name)  # the interrupt comes 2 s after 'second'\n"
        "    trainer.fit_seeds(est.set_params(max_iter=epochs), x_tr_N2, y_tr_N,\n"
        "                      range(n_seeds), label=name)\n"
    )
    pid = manager.provisioner.pid
    start = time.monotonic()
    error, _ = execute(client, code, on_busy=manager.interrupt_kernel, after="second")
    assert time.monotonic() - start < 30
    assert error["ename"] == "TrainingInterrupted"
    (line,) = error["traceback"]
    assert line.startswith(
        "TrainingInterrupted: Training stopped by the interrupt: second had "
    )
    assert "of 64 runs done" in line and "running the cell again" in line
    assert "The 4 runs of the settings before it in this cell are kept" in line
    for _ in range(50):  # killed workers may take a moment to be reaped
        if not loky_workers(pid):
            break
        time.sleep(0.1)
    assert loky_workers(pid) == set()
    # The kernel is still usable, and the next cell runs as usual.
    error, outputs = execute(client, "print('still here')")
    assert error is None and outputs[-1]["text"] == "still here\n"


def test_in_a_kernel_the_bar_is_a_widget_replaced_by_its_summary_line(kernel):
    _, client = kernel
    code = SETUP + (
        "from sklearn.neural_network import MLPClassifier\n"
        "est = MLPClassifier(hidden_layer_sizes=[2], solver='sgd', batch_size=10,\n"
        "                    max_iter=30, random_state=0)\n"
        "trainer = training.SeedTrainer(n_jobs=1)\n"
        "for name in ('first', 'second'):\n"
        "    trainer.fit_seeds(est, x_tr_N2, y_tr_N, range(4), label=name,\n"
        "                      summary=True)\n"
    )
    error, outputs = execute(client, code)
    assert error is None
    shown = [o["data"] for o in outputs]
    widget = "application/vnd.jupyter.widget-view+json"
    assert any(widget in data for data in shown), "no widget was drawn"
    # One output for the loop, updated in place; it ends as the two lines.
    ids = {o.get("transient", {}).get("display_id") for o in outputs}
    assert len(ids) == 1 and widget not in shown[-1]
    lines = shown[-1]["text/plain"].splitlines()
    assert [line.split(":")[0] for line in lines] == ["first", "second"]
    assert all(" 4 runs in " in line for line in lines)
    # The next cell's bars go into an output of that cell's own.
    code = "trainer.fit_seeds(est, x_tr_N2, y_tr_N, [0, 1], label='3rd', summary=True)"
    error, outputs = execute(client, code)
    assert error is None
    next_ids = {o.get("transient", {}).get("display_id") for o in outputs}
    assert len(next_ids) == 1 and next_ids != ids
    assert outputs[-1]["data"]["text/plain"].startswith("3rd: 2 runs in ")


CHECK_CELL = (
    "from hw04.checks import show_before_upload\nshow_before_upload('hw.ipynb')"
)


def _student_notebook(folder, name, collaborators):
    """A student's notebook whose last cell holds the checks; COLLABORATORS.txt."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# Homework 4\n\nStudent: {name}"),
        nbformat.v4.new_code_cell("x = globals().get('x', 0) + 1"),
        # After the cell above ran twice, this one divides by zero.
        nbformat.v4.new_code_cell("y = 1 / (2 - x)"),
        nbformat.v4.new_code_cell(CHECK_CELL),
    ]
    nbformat.write(nb, folder / "hw.ipynb")
    (folder / "COLLABORATORS.txt").write_text(collaborators)
    return folder / "hw.ipynb"


def _run(manager, path, order, save=True):
    """Run the cells of ``path`` in ``order`` in the kernel (as *Run All* does for
    every cell once); then save the notebook with its outputs, as JupyterLab does.
    Returns what the last cell run printed."""
    nb = nbformat.read(path, 4)
    client = NotebookClient(nb, km=manager, allow_errors=True)
    with client.setup_kernel():
        for index in order:
            client.execute_cell(nb.cells[index], index)
    if save:
        nbformat.write(nb, path)
    outputs = nb.cells[order[-1]].outputs
    return "".join(o.get("text", "") for o in outputs).splitlines()


def _exporters_lines(path):
    from hw04.export.preprocessors import GradescopeChecks

    resources = {"metadata": {"path": str(path.parent)}}
    _, resources = GradescopeChecks().preprocess(nbformat.read(path, 4), resources)
    return resources["gradescope_warnings"]


def test_run_all_save_and_the_last_cell_again_says_ready(kernel, tmp_path):
    manager, _ = kernel
    filled = (ROOT / "COLLABORATORS.txt").read_text().replace("Name:", "Name: Ada", 1)
    path = _student_notebook(tmp_path, "Ada Lovelace", filled)
    _run(manager, path, [1, 2, 3])
    (line,) = _run(manager, path, [3], save=False)  # as its Markdown asks
    assert line.startswith("Ready to upload: your name is on the first cell")
    assert _exporters_lines(path) == []
    _run(manager, path, [3])  # and saved once more: still ready
    assert _exporters_lines(path) == []


def test_the_last_cell_and_the_exporter_name_the_same_problems(kernel, tmp_path):
    manager, _ = kernel
    template = (ROOT / "COLLABORATORS.txt").read_text()
    path = _student_notebook(tmp_path, "Your Name", template)
    _run(manager, path, [1, 1, 2, 3])  # cell 1 twice
    lines = _run(manager, path, [3], save=False)
    prefix = "Before uploading (hw.ipynb as last saved): "
    assert all(line.startswith(prefix) for line in lines)
    found = [line.removeprefix(prefix) for line in lines]
    assert found == _exporters_lines(path)
    assert "still says 'Your Name'" in found[0]
    assert "COLLABORATORS.txt is still the blank template" in found[1]
    assert "not run top to bottom in one go (execution counts are out" in found[2]
    assert found[3] == "Code cell 2 shows an error: ZeroDivisionError: division by zero"
    assert len(found) == 4
