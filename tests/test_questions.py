"""The notebook asks the course's questions in the course's words."""

import re

import nbformat

from make_homework import ROOT

# A problem's title ("Problem 1: ...") or a part's prompt ("1 (a): ...").
QUESTION = re.compile(r"^(Problem \d: .+|\d \([abc]\): .+)$")


def plain(text):
    """Text without Markdown emphasis, headings' marks or runs of white space."""
    text = re.sub(r"^#+ ", "", text, flags=re.M).replace("**", "").replace("*", "")
    return " ".join(text.split())


def course_questions():
    """Every title and prompt of tests/course_questions.md, the course's words."""
    lines = (ROOT / "tests" / "course_questions.md").read_text().splitlines()
    return [line for line in lines if QUESTION.match(line)]


def notebook_markdown():
    nb = nbformat.read(ROOT / "hw04.ipynb", as_version=4)
    return [plain(c.source) for c in nb.cells if c.cell_type == "markdown"]


def test_every_title_and_prompt_of_the_course_is_in_the_notebook_word_for_word():
    questions = course_questions()
    assert len(questions) == 5 + 13  # five titles, thirteen parts
    text = "\n".join(notebook_markdown())
    for question in questions:
        assert text.count(question) == 1, question


def test_each_part_is_a_heading_of_its_own_in_the_courses_order():
    nb = nbformat.read(ROOT / "hw04.ipynb", as_version=4)
    headings = [
        plain(line)
        for c in nb.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if re.match(r"#{2,3} (Problem \d|\d \([abc]\))", line)
    ]
    assert headings == course_questions()
