"""Where the lecture documents live, whether a cited section heading exists, and where a quote is.

A document is named by its title (DOCUMENTS maps the five built-in titles to file names; a lecturer's
claims module adds its own with register_documents) or directly by its file name in the lecture folder.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
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


def register_documents(documents: dict[str, str]) -> None:
    """Add {title: file name} entries (a lecturer's own notes) to the documents a Source may cite."""
    for title, filename in documents.items():
        if not isinstance(title, str) or not isinstance(filename, str) or not title.strip() or not filename.strip():
            raise TypeError(f"register_documents: titles and file names must be non-empty strings, got {title!r}: {filename!r}")
        DOCUMENTS[title] = filename
    _headings.cache_clear()
    _lines.cache_clear()
    _squashed.cache_clear()
    _document_page_markers.cache_clear()


def set_lectures_dir(directory: Path | str) -> None:
    """Read the documents from `directory` from now on (what `--lectures DIR` does)."""
    path = Path(directory)
    if not path.is_dir():
        raise ValueError(f"lectures directory {str(path)!r} does not exist or is not a folder")
    os.environ["REGVERIFY_LECTURES"] = str(path.resolve())


def file_name(document: str) -> str:
    """The file a document title (or a file name) refers to; KeyError when neither is known."""
    if document in DOCUMENTS:
        return DOCUMENTS[document]
    directory = lectures_dir()
    if directory is not None and (directory / document).is_file():
        return document
    raise KeyError(f"unknown document {document!r}: not a registered title and no such file in the lecture folder")


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
    return (directory / file_name(document_title)).read_text(encoding="utf-8")


def document_path(document_title: str) -> Path | None:
    directory = lectures_dir()
    try:
        return None if directory is None else directory / file_name(document_title)
    except KeyError:
        return None


def section_exists(document_title: str, section: str) -> bool:
    """True when `section` is the text of a markdown heading line of that document."""
    path = document_path(document_title)
    if path is None or not path.is_file():
        return False
    return _normalise(section) in _headings(str(path.parent), path.name)


@functools.cache
def _lines(directory: str, filename: str) -> tuple[str, ...]:
    return tuple((Path(directory) / filename).read_text(encoding="utf-8").splitlines())


def _heading_level(line: str) -> int:
    stripped = line.lstrip()
    return len(stripped) - len(stripped.lstrip("#")) if stripped.startswith("#") else 0


def _page_markers(lines: tuple[str, ...]) -> frozenset[str]:
    # A heading repeated five times or more (Module 2's "## Module 2" before each of its 17 pages) marks a
    # page break, not a section: it is left out of heading paths, which then name the real section. (Real
    # sections repeat too, e.g. Week 6's three "Mechanism" subsections, but not that often.)
    counts: dict[str, int] = {}
    for line in lines:
        if _heading_level(line):
            counts[_normalise(line)] = counts.get(_normalise(line), 0) + 1
    return frozenset(h for h, n in counts.items() if n >= 5)


@functools.cache
def _document_page_markers(directory: str, filename: str) -> frozenset[str]:
    return _page_markers(_lines(directory, filename))


def heading_path(lines: tuple[str, ...], line_index: int, *, markers: frozenset[str] | None = None) -> list[str]:
    """The headings (outermost first) that enclose the 0-based line `line_index`, page markers left out."""
    markers = _page_markers(lines) if markers is None else markers
    stack: list[tuple[int, str]] = []
    for line in lines[: line_index + 1]:
        level = _heading_level(line)
        if not level or _normalise(line) in markers:
            continue
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, _normalise(line)))
    return [text for _, text in stack]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Location:
    """Where a quote is: 1-based first and last line and the enclosing heading path."""

    first_line: int
    last_line: int
    headings: tuple[str, ...]

    @property
    def span(self) -> str:
        """"line 6" or "lines 6–8"."""
        return f"line {self.lines}" if self.first_line == self.last_line else f"lines {self.lines}"

    @property
    def lines(self) -> str:
        return f"{self.first_line}" if self.first_line == self.last_line else f"{self.first_line}–{self.last_line}"


@functools.cache
def _squashed(directory: str, filename: str) -> tuple[str, tuple[int, ...]]:
    """The document with every run of whitespace (line breaks included) squashed to one space, and per
    character the 0-based line it came from: built once per document, since every quote is searched in it."""
    chars: list[str] = []
    owner: list[int] = []
    for number, line in enumerate(_lines(directory, filename)):
        for ch in line.strip() + " ":
            if ch.isspace():
                if chars and chars[-1] == " ":
                    continue
                ch = " "
            chars.append(ch)
            owner.append(number)
    return "".join(chars), tuple(owner)


def locate(document_title: str, quote: str, section: str | None = None) -> Location | None:
    """The first place `quote` occurs (whitespace-insensitive) in the document, preferring one under
    `section`; None when the quote is not in the document."""
    path = document_path(document_title)
    if path is None or not path.is_file() or not quote.strip():
        return None
    directory, filename = str(path.parent), path.name
    lines = _lines(directory, filename)
    markers = _document_page_markers(directory, filename)
    text, owner = _squashed(directory, filename)
    needle = _squash(quote)
    found: list[Location] = []
    start = text.find(needle)
    while start >= 0:
        first, last = owner[start], owner[start + len(needle) - 1]
        found.append(Location(first + 1, last + 1, tuple(heading_path(lines, first, markers=markers))))
        start = text.find(needle, start + 1)
    if not found:
        return None
    if section is not None:
        for location in found:
            if _normalise(section) in location.headings:
                return location
    return found[0]
