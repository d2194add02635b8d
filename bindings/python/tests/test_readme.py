"""The Python examples of README.md and bindings/README.md, run as a reader pastes them.

Each ```python block marked ``<!-- python example -->`` is taken from the
Markdown file itself and run in a fresh interpreter (this one, so the
installed package), from the repository's root; what it prints must be the
```text block that follows it. Tests/readme.sh checks that every Python
block of the two files carries the mark, so none escapes this test.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DOCS = [ROOT / "README.md", ROOT / "bindings" / "README.md"]
MARK = "<!-- python example -->\n```python\n"
FENCE = "```"


def examples(path: Path) -> list[tuple[str, str, str]]:
    """(where, code, printed) for each marked example of a Markdown file:
    the python block after the mark, and the next ```text block, with only
    prose between the two."""
    text = path.read_text(encoding="utf-8")
    found = []
    start = text.find(MARK)
    while start >= 0:
        code_start = start + len(MARK)
        code_end = text.index(FENCE + "\n", code_start)
        out_start = text.index(FENCE + "text\n", code_end + len(FENCE))
        between = text[code_end + len(FENCE) + 1:out_start]
        assert FENCE not in between, f"{path.name}: a code block between a python example and its ```text output"
        out_end = text.index(FENCE, out_start + len(FENCE) + 5)
        line = text.count("\n", 0, start) + 2
        found.append((f"{path.relative_to(ROOT)}:{line}", text[code_start:code_end],
                      text[out_start + len(FENCE) + 5:out_end]))
        start = text.find(MARK, code_end)
    return found


EXAMPLES = [e for path in DOCS for e in examples(path)]


def test_each_readme_has_an_example():
    assert len(examples(DOCS[0])) >= 1 and len(examples(DOCS[1])) >= 1


@pytest.mark.parametrize("where,code,printed", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_readme_example_prints_what_the_readme_shows(where, code, printed):
    # A fresh interpreter: a missing import in the snippet fails here as it would for a reader.
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env=os.environ.copy(), timeout=120)
    assert run.returncode == 0, f"{where} failed:\n{run.stderr}"
    assert run.stdout == printed, f"{where} printed:\n{run.stdout}\nthe README shows:\n{printed}"
