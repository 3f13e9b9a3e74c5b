"""The notebook asks the course's questions in the course's words."""

import re

import nbformat

from make_homework import ROOT


def course_questions():
    """{question: how often the notebook asks it}, from tests/course_questions.txt."""
    lines = (ROOT / "tests" / "course_questions.txt").read_text().splitlines()
    rows = [line.split("\t") for line in lines if line and not line.startswith("#")]
    return {question: int(count) for count, question in rows}


def question_cells():
    """The text of each Problem's question cell, its lines joined by spaces."""
    nb = nbformat.read(ROOT / "hw04.ipynb", as_version=4)
    return [
        " ".join(c.source.split())
        for c in nb.cells
        if c.cell_type == "markdown" and c.source.startswith("## Problem")
    ]


def test_the_question_cells_hold_the_courses_questions_word_for_word():
    cells = question_cells()
    assert len(cells) == 5
    text = " ".join(cells)
    for question, count in course_questions().items():
        assert text.count(question) == count, question


def test_every_part_of_a_question_cell_is_one_of_the_courses_or_a_plot():
    # A part that is not the course's is a plot to make, (a); no reworded question.
    known = set(course_questions())
    for cell in question_cells():
        for part in re.findall(r"\*\*\(([abc])\)\*\* ([^*]+)", cell):
            letter, text = part
            if letter != "a":
                assert text.strip() in known, text
