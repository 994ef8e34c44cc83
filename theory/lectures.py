"""Where the lecture documents live, and whether a cited section heading exists in one of them."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

PRIMER = "Deep Learning Primer: Exploring Regularization Techniques in DNN"
OVERVIEW = "Regularization in Deep Neural Networks"
WEEK6 = (
    "Week 6: Regularization and Generalization in Deep Learning (course module after Chaudhury, "
    "Math and Architectures of Deep Learning, ch. 7)"
)
MODULE2 = 'Regularization (course "Module 2" notes)'
NOTES004 = "Neural Network: Regularization"

#: Document title (as in lectures/README.md) -> file name.
DOCUMENTS: dict[str, str] = {
    PRIMER: "000_5f854fba3c24d2c7.txt",
    OVERVIEW: "001_e621d19528d71069.txt",
    WEEK6: "002_09cb2ca5ebd8715f.txt",
    MODULE2: "003_03c1426d68bd2bcc.txt",
    NOTES004: "004_58a6522aff79e5b9.txt",
}


def lectures_dir() -> Path | None:
    """The lecture folder: $REGVERIFY_LECTURES, else ../shared/lectures beside the repo, else None."""
    env = os.environ.get("REGVERIFY_LECTURES")
    if env:
        path = Path(env)
        return path if path.is_dir() else None
    repo_root = Path(__file__).resolve().parent.parent
    candidate = repo_root.parent / "shared" / "lectures"
    return candidate if candidate.is_dir() else None


def _normalise(text: str) -> str:
    text = text.strip().strip("#").strip()
    text = text.replace("*", "").strip()
    return re.sub(r"\s+", " ", text)


@functools.cache
def _headings(directory: str, filename: str) -> frozenset[str]:
    text = (Path(directory) / filename).read_text(encoding="utf-8")
    return frozenset(_normalise(line) for line in text.splitlines() if line.lstrip().startswith("#"))


def document_text(document_title: str) -> str:
    """Full text of a lecture document (KeyError for an unknown title, FileNotFoundError if absent)."""
    directory = lectures_dir()
    if directory is None:
        raise FileNotFoundError("lecture documents not found (set REGVERIFY_LECTURES)")
    return (directory / DOCUMENTS[document_title]).read_text(encoding="utf-8")


def section_exists(document_title: str, section: str) -> bool:
    """True when `section` is the text of a markdown heading line of that document."""
    if document_title not in DOCUMENTS:
        return False
    directory = lectures_dir()
    if directory is None:
        return False
    path = directory / DOCUMENTS[document_title]
    if not path.is_file():
        return False
    return _normalise(section) in _headings(str(directory), DOCUMENTS[document_title])
