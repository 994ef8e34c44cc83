"""The report writer: valid GitHub-flavoured markdown, one anchor per operation, failures first."""

from __future__ import annotations

import json
import re

from markdown_it import MarkdownIt

from regverify import report
from regverify.runner import PropertyResult, SuiteRun, read_reportlog


def result(outcome: str, target: str = "torch", message: str = "", device: str = "cpu", op: str = "dropout"):
    return PropertyResult(
        nodeid=f"tests/test_dropout.py::test_x[{target}-{op}-{device}-{outcome}]", outcome=outcome, property="test_x",
        module="tests.test_dropout", target=target, operation=op, device=device, dtype="float32",
        claims=["DROPOUT.INVERTED.MEAN"], message=message, duration=0.1,
    )


def tokens(markdown: str) -> list:
    return MarkdownIt("commonmark").enable("table").parse(markdown)


def test_conformance_matrix_is_a_markdown_table_with_one_row_per_operation():
    run = SuiteRun(1, [result("passed"), result("failed", message="boom | pipe"), result("not-implemented", "mine",
                   "not implemented by mine: dropout"), result("passed", op="batch_norm")])
    text = report.conformance_markdown(run)
    parsed = tokens(text)
    assert any(t.type == "table_open" for t in parsed), "the matrix must render as a table"
    matrix = text.split("## Failures")[0]
    rows = [line for line in matrix.splitlines() if line.startswith("| ") and not line.startswith("| operation")]
    assert [r.split("|")[1].strip() for r in rows] == ["batch_norm", "dropout"]
    assert "**FAIL** 1/2" in matrix and "not implemented" in matrix


def test_every_anchor_in_the_conformance_report_is_unique_and_every_operation_link_resolves():
    run = SuiteRun(0, [result("passed"), result("passed", device="cuda"), result("skipped", device="cuda",
                   message="CUDA not available"), result("passed", op="layer_norm")])
    text = report.conformance_markdown(run)
    anchors = re.findall(r'<a id="([^"]+)"></a>', text)
    assert len(anchors) == len(set(anchors)), "duplicate anchors"
    links = set(re.findall(r"\]\(#([^)]+)\)", text))
    assert links <= set(anchors), f"links without targets: {links - set(anchors)}"


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
