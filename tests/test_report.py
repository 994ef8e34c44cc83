"""The report writer: GitHub-flavoured markdown whose every link resolves, one page per family, failures first.

Pages are rendered as GitHub renders them (markdown-it-py: CommonMark with GFM tables and strikethrough, raw
HTML allowed), and every link is followed: a relative file must exist and an anchor must be a heading's
GitHub slug or an explicit ``<a id>`` of the page it points into.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt

from regverify import report
from regverify.runner import PropertyResult, SuiteRun, read_reportlog

REPO = Path(__file__).resolve().parent.parent


def result(outcome: str, target: str = "torch", message: str = "", device: str = "cpu", op: str = "dropout",
           family: str = "dropout", dtype: str = "float32", prop: str = "test_x") -> PropertyResult:
    return PropertyResult(
        nodeid=f"test_{family}.py::{prop}[{target}-{op}-{device}-{dtype}]", outcome=outcome, property=prop,
        module=f"regverify.conformance.test_{family}", target=target, operation=op, device=device, dtype=dtype,
        claims=["DROPOUT.INVERTED.MEAN"], message=message, duration=0.1,
    )


def absent(reason: str, target: str = "mine", device: str = "cpu", op: str = "dropout", family: str = "dropout") -> dict:
    return {"property": "test_x", "module": f"regverify.conformance.test_{family}", "target": target,
            "operation": op, "device": device, "dtype": "float32", "reason": reason, "claims": "DROPOUT.INVERTED.MEAN"}


def gfm() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


# ---------------------------------------------------------------- links, as GitHub resolves them


def github_slug(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped except - and _, spaces to -."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name in ("id", "name"):
            if values.get(name):
                self.ids.add(values[name])
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        if tag == "img" and values.get("src"):
            self.links.append(values["src"])


def page_anchors_and_links(text: str) -> tuple[set[str], list[str]]:
    tokens = gfm().parse(text)
    anchors: set[str] = set()
    links: list[str] = []
    html = _Anchors()
    seen: dict[str, int] = {}
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            slug = github_slug("".join(child.content for child in tokens[index + 1].children or []
                                       if child.type in ("text", "code_inline")))
            count = seen.get(slug, 0)
            anchors.add(slug if count == 0 else f"{slug}-{count}")  # GitHub numbers repeated headings
            seen[slug] = count + 1
        if token.type == "html_block":
            html.feed(token.content)
        for child in token.children or []:
            if child.type == "link_open":
                links.append(child.attrs["href"])
            elif child.type == "image":
                links.append(child.attrs["src"])
            elif child.type == "html_inline":
                html.feed(child.content)
    return anchors | html.ids, links + html.links


def broken_links(folder: Path) -> list[str]:
    """Every link of every page under `folder` that does not resolve, as 'page: link (why)'."""
    pages = {p: page_anchors_and_links(p.read_text()) for p in sorted(folder.rglob("*.md"))}
    broken = []
    for page, (_, links) in pages.items():
        for link in links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https", "mailto"):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page.resolve()
            if not target.exists():
                broken.append(f"{page.relative_to(folder)}: {link} (no such file)")
                continue
            if parts.fragment and target.suffix == ".md":
                target_anchors = pages.get(target, None) or page_anchors_and_links(target.read_text())
                if unquote(parts.fragment) not in target_anchors[0]:
                    broken.append(f"{page.relative_to(folder)}: {link} (no such anchor)")
    return broken


# ---------------------------------------------------------------- the conformance pages


def test_a_family_page_has_one_matrix_row_per_operation_and_shows_cells_not_generated_as_data():
    run = SuiteRun(1, [result("passed"), result("failed", message="boom | pipe"), result("passed", op="dropout2d")],
                   absent=[absent("not implemented: dropout"), absent("CUDA not available", target="torch",
                                                                      device="cuda"),
                           absent("not declared: ERROR_CONTRACT", target="torch", op="dropout2d")])
    text = report.family_markdown(run, "dropout")
    assert any(t.type == "table_open" for t in gfm().parse(text)), "the matrix must render as a table"
    matrix = text.split("## Failures")[0]
    rows = [line for line in matrix.splitlines() if line.startswith("| ") and not line.startswith("| operation")]
    assert [r.split("|")[1].strip() for r in rows] == ["dropout", "dropout2d"]
    assert "**FAIL** 1/2" in matrix
    assert "| dropout | not implemented |" in matrix.replace("[", "").split("](")[0] or "not implemented" in matrix
    assert "device absent" in matrix and "not declared" in matrix
    # properties and cells are counted separately
    assert "1 properties; 3 cells run" in text and "3 cells not generated (1 device absent, 1 not declared, " \
                                                    "1 not implemented)" in text
    assert "boom \\| pipe" not in matrix and "boom | pipe" in text.split("## Failures")[1]


def test_every_anchor_of_a_family_page_is_unique_and_every_link_resolves(tmp_path):
    run = SuiteRun(1, [result("passed"), result("passed", device="cuda"), result("failed", device="cuda",
                                                                                 message="off by one"),
                       result("passed", op="layer_norm", family="normalization")],
                   absent=[absent("not implemented: dropout")])
    for relative, text in report.conformance_pages(run).items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
        anchors = re.findall(r'<a id="([^"]+)"></a>', text)
        assert len(anchors) == len(set(anchors)), f"duplicate anchors in {relative}"
    (tmp_path / "ledger.md").write_text('<a id="DROPOUT.INVERTED.MEAN"></a>\n\n# Claim ledger\n')
    assert broken_links(tmp_path) == []


def test_the_conformance_index_links_every_family_page():
    run = SuiteRun(0, [result("passed"), result("passed", op="layer_norm", family="normalization")],
                   absent=[absent("not installed: kornia", family="augmentation", op="random_hflip")])
    pages = report.conformance_pages(run)
    assert set(pages) == {"conformance/index.md", "conformance/dropout.md", "conformance/normalization.md",
                          "conformance/augmentation.md"}
    index = pages["conformance/index.md"]
    for family in ("dropout", "normalization", "augmentation"):
        assert f"]({family}.md)" in index
    assert "library absent" in index


def test_reportlog_records_fold_into_one_result_per_test(tmp_path):
    log = tmp_path / "log.jsonl"
    props = [["property", "test_x"], ["target", "torch-native"], ["device", "cpu"], ["claims", "A.B,C.D"]]
    records = [
        {"$report_type": "TestReport", "nodeid": "t::a", "when": "setup", "outcome": "passed", "user_properties": props},
        {"$report_type": "TestReport", "nodeid": "t::a", "when": "call", "outcome": "failed", "user_properties": props,
         "longrepr": {"reprcrash": {"message": "AssertionError: off"}}},
        {"$report_type": "TestReport", "nodeid": "t::b", "when": "setup", "outcome": "skipped", "user_properties": [],
         "longrepr": ["t", 1, "Skipped: not implemented by mine: dropout"]},
    ]
    log.write_text("\n".join(json.dumps(r) for r in records))
    results = {r.nodeid: r for r in read_reportlog(log)}
    assert results["t::a"].outcome == "failed" and results["t::a"].message == "AssertionError: off"
    assert results["t::a"].claims == ["A.B", "C.D"] and results["t::a"].target == "torch-native"
    assert results["t::b"].outcome == "not-implemented"


def test_a_declared_finding_that_does_not_show_in_a_cell_is_a_pass_and_one_that_shows_is_a_finding(tmp_path):
    log = tmp_path / "log.jsonl"
    records = [  # pytest-reportlog: an XFAIL is "skipped" with wasxfail, a non-strict XPASS "passed" with wasxfail
        {"$report_type": "TestReport", "nodeid": "t::shows", "when": "call", "outcome": "skipped",
         "wasxfail": "FINDING: keras: reads K from the last axis", "user_properties": []},
        {"$report_type": "TestReport", "nodeid": "t::hidden", "when": "call", "outcome": "passed",
         "wasxfail": "FINDING: keras: reads K from the last axis", "user_properties": []},
    ]
    log.write_text("\n".join(json.dumps(r) for r in records))
    results = {r.nodeid: r for r in read_reportlog(log)}
    assert results["t::shows"].outcome == "finding"
    assert results["t::hidden"].outcome == "passed", "an XPASS is not evidence of the deviation"
    assert "did not show in this cell" in results["t::hidden"].message


def test_an_exception_in_the_users_code_is_shown_with_its_location_parameters_and_replay(tmp_path):
    log = tmp_path / "log.jsonl"
    crash = ("ValueError: bad shape\nFailing test case: test_x(\n    target=Target('mine', backend='torch'),\n"
             "    operation='dropout',\n    case=Case(params={'p': 0.25}, seed=3),  # or any other generated value\n)")
    entries = [{"type": "ReprEntry", "data": {"reprfileloc": {"path": str(REPO / "regverify/conformance/test_dropout.py"),
                                                             "lineno": 70, "message": ""}}},
               {"type": "ReprEntry", "data": {"reprfileloc": {"path": "mine/layers.py", "lineno": 12,
                                                             "message": "in dropout"}}},
               {"type": "ReprEntry", "data": {"reprfileloc": {"path": "mine/util.py", "lineno": 3,
                                                             "message": "ValueError"}}}]
    record = {"$report_type": "TestReport", "nodeid": "t::a", "when": "call", "outcome": "failed",
              "user_properties": [["target", "mine"], ["operation", "dropout"]],
              "longrepr": {"reprcrash": {"message": crash}, "reprtraceback": {"reprentries": entries}},
              "sections": [["Captured regverify: reproduce", "python -m pytest x --impl mine"]]}
    log.write_text(json.dumps(record))
    (only,) = read_reportlog(log)
    first = only.message.splitlines()[0]
    assert first == ("ValueError: bad shape [raised in the code under test at mine/util.py:3 (called from "
                     "mine/layers.py:12)] with operation='dropout', case=Case(params={'p': 0.25}, seed=3)")
    assert only.message.splitlines()[-1] == "replay: python -m pytest x --impl mine"


# ---------------------------------------------------------------- whole reports


@pytest.fixture
def written_report(tmp_path, monkeypatch) -> Path:
    """A report written by write_reports from a synthetic run (the ledger and experiments pages stand-ins)."""
    monkeypatch.setattr(report, "use_experiment_size", lambda size, figures: None)
    monkeypatch.setattr(report, "experiments_markdown", lambda size, out, **kw: "# Designed experiments\n")
    ledger = '<a id="DROPOUT.INVERTED.MEAN"></a>\n\n# Claim ledger\n\n## Dropout\n'
    monkeypatch.setattr(report, "ledger_markdown", lambda run, lecture=None: (ledger, {"holds": 1}))
    monkeypatch.setattr(report, "lecture_code_results", lambda scratch: {})
    monkeypatch.setattr(report, "documents_markdown", lambda: "# Document by document\n\n[ledger](ledger.md#dropout)\n")
    run = SuiteRun(1, [result("passed"), result("failed", message="boom"), result("finding", message="documented"),
                       result("passed", op="layer_norm", family="normalization", target="numpy")],
                   absent=[absent("CUDA not available", target="torch", device="cuda"),
                           absent("not installed: kornia", family="augmentation", op="random_hflip")])
    out = tmp_path / "report"
    report.write_reports(out, run, profile=None, impls=[], experiments="small", timings={"conformance suite": 1.5})
    return out


def test_every_page_of_a_written_report_renders_and_every_link_resolves(written_report):
    assert broken_links(written_report) == []


def test_the_index_says_what_the_run_could_not_check_lists_every_file_and_the_whole_time(written_report):
    index = (written_report / "index.md").read_text()
    gaps = index.split("## What this run could not check")[1].split("## ")[0]
    assert "**Devices absent**: CUDA not available (1 cells not generated)" in gaps
    assert "**Libraries absent**" in gaps and "kornia" in gaps
    assert "**Experiments at size small**" in gaps
    listed = index.split("## Files this run wrote")[1]
    for path in written_report.rglob("*"):
        if path.is_file():
            assert path.relative_to(written_report).as_posix() in listed
    assert "| conformance suite | 1.5 |" in index and "| whole command |" in index
    assert "Families not run" not in index, "every family ran"


def test_the_index_has_a_row_per_library_with_its_cells_and_time_or_why_it_did_not_run(tmp_path, monkeypatch):
    import impls.protocol.target as target_module

    monkeypatch.setattr(target_module, "library_targets", lambda: {
        "keras": None, "kornia": None, "torchvision": "not installed: torchvision (pip install …)", "timm": None})
    run = SuiteRun(1, [result("passed", target="keras"), result("finding", target="keras"),
                       result("failed", target="kornia")])
    table = "\n".join(report._library_table(run))
    assert "| keras |" in table and "| 1 | 0 | 1 | 0.2 s |" in table
    assert "| 0 | 1 | 0 | 0.1 s |" in table.split("| kornia |")[1].splitlines()[0]
    assert "not run: not installed: torchvision" in table
    assert "not run: not asked for" in table.split("| timm |")[1], "installed but not in this run"
    assert report.report_targets(None) == ["numpy", "torch", "torch-native", "keras", "kornia", "timm"]
    assert report.report_targets(None, libraries=False) == ["numpy", "torch", "torch-native"]
    assert report.report_targets(["mine"]) == ["mine"]


def test_a_report_of_some_families_names_those_it_left_out(written_report):
    run = SuiteRun(0, [result("passed")])
    report.write_reports(written_report, run, profile=None, impls=[], experiments="full", only=["dropout"])
    gaps = (written_report / "index.md").read_text().split("## What this run could not check")[1].split("## ")[0]
    assert "**Families not run** (`--only dropout`): augmentation," in gaps and " dropout," not in gaps


def test_absent_lecture_documents_are_reported_as_not_verified(written_report, tmp_path, monkeypatch):
    from theory import lectures

    empty = tmp_path / "no-lectures"
    empty.mkdir()
    monkeypatch.setenv("REGVERIFY_LECTURES", str(empty))
    lines = [line for line in report.not_checked(SuiteRun(0, []), experiments="full") if "Lecture" in line]
    assert len(lines) == 1 and lines[0].startswith(f"- **Lecture documents absent** ({len(lectures.DOCUMENTS)} of "
                                                   f"{len(lectures.DOCUMENTS)}; looked in {empty})")
    assert "were **not verified**" in lines[0]


def test_the_committed_reports_render_and_every_link_resolves():
    reports = REPO / "reports"
    if not (reports / "index.md").is_file():
        pytest.skip("no committed reports/ in this checkout")
    assert broken_links(reports) == []


# ---------------------------------------------------------------- figures and the text beside them

_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?(?:e[-+]?\d+)?)(%?)")


def _numbers(text: str) -> list[tuple[float, float, bool]]:
    """(value, half a unit of the last printed digit, is a percentage) for every number in `text`."""
    found = []
    for digits, percent in _NUMBER.findall(text):
        mantissa = digits.split("e")[0]
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        exponent = int(digits.split("e")[1]) if "e" in digits else 0
        found.append((float(digits), 0.5 * 10.0 ** (exponent - decimals), bool(percent)))
    return found


def test_each_figure_states_only_numbers_of_the_text_beside_it_and_its_title_is_not_the_claim(tmp_path, monkeypatch):
    """Every number a figure prints (title, legend, annotations) is, to its printed precision, a number of the
    experiment's text on the page; no figure title repeats the claim, whose verdict the page states."""
    from regverify import plots
    from theory.experiments import EXPERIMENTS

    def texts_only(fig, out_dir, filename):  # what the figure shows is decided before it is saved: skip the PNG
        plots.FIGURE_TEXTS[filename] = plots.figure_texts(fig)
        plots._pyplot().close(fig)
        return Path(out_dir) / filename

    monkeypatch.setattr(plots, "_save", texts_only)

    checked = 0
    for name, experiment in EXPERIMENTS.items():
        # Few seeds (fast; an even count, so a median between two seeds must not split figure and text), but the
        # experiments that need more (the ensemble's pool) keep their own.
        result = experiment(size="small", seeds=None if name == "ensemble" else 2)
        text = "\n".join([result.claim, result.decision, result.details])
        stated = _numbers(text)
        for figure in report.draw_figures(name, result, tmp_path):
            shown = plots.FIGURE_TEXTS[figure.name]
            assert all(result.claim.lower() not in line.lower().replace("\n", " ") for line in shown), (figure, shown)
            for value, unit, percent in _numbers(" ".join(shown)):
                target = value / 100 if percent else value
                tolerance = unit / 100 if percent else unit
                assert any(abs(number - target) <= tolerance * (1 + 1e-9) for number, _, _ in stated), (
                    f"{figure.name} shows {value}{'%' if percent else ''}, which the text of {name} does not state")
                checked += 1
    assert checked >= 10, "the figures should state numbers to compare"


def test_a_matrix_with_many_targets_is_split_into_tables_narrow_enough_for_one_screen():
    targets = [f"target{i}" for i in range(7)]
    run = SuiteRun(0, [result("passed", target=t) for t in targets])
    matrix = report.family_markdown(run, "dropout").split("## Failures")[0]
    headers = [line for line in matrix.splitlines() if line.startswith("| operation |")]
    assert [line.count("·") for line in headers] == [report.MAX_MATRIX_COLUMNS, 7 - report.MAX_MATRIX_COLUMNS]


def test_the_lecture_documents_own_code_is_shown_beside_the_claims_its_properties_rest_on():
    from regverify.runner import PropertyResult

    def result(prop: str, outcome: str, claims: list[str], message: str = "") -> PropertyResult:
        return PropertyResult(nodeid=f"t.py::{prop}", outcome=outcome, property=prop, module="test_dropout",
                              target="lecture", operation="dropout", device="cpu", dtype="float64", claims=claims,
                              message=message, duration=0.0)

    lines = report._lecture_lines({"week6.txt": [
        result("test_a", "passed", ["C.ONE"]),
        result("test_b", "failed", ["C.ONE", "C.TWO"], "TypeError: mask is None\nmore"),
    ]})
    assert set(lines) == {"C.ONE", "C.TWO"}, lines
    assert "1 failed, 1 passed" in lines["C.ONE"][0] and "`test_b` (dropout): TypeError: mask is None" in lines["C.ONE"][0]
    assert "`regverify check week6.txt`" in lines["C.TWO"][0] and "more" not in lines["C.TWO"][0]
