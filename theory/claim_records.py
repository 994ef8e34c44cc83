"""The claims data files: the records of a claims module's claims, as data beside it (`<module>.toml`).

One table per claim id, in the order the ledger lists them, with the claim's literal fields; `topic` for the
whole file; `[[left_out]]` for statements deliberately not in the ledger. This module reads and checks a
file (every error names the file and the claim id); theory.ledger joins the records to the evidence
functions and registers the claims.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from theory import lectures

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, released separately
    import tomli as tomllib

#: A claim id: UPPER.DOTTED (at least two parts).
ID_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*(\.[A-Z0-9_]+)+$")
#: Fields of a claim record in a claims module's data file; `reason` makes it a not-checkable claim.
RECORD_FIELDS = ("sources", "statement", "formal", "convention", "related", "origin", "reason", "topic")
SOURCE_FIELDS = ("document", "section", "quote")
LEFT_OUT_FIELDS = ("document", "section", "what", "reason")
#: A document named like a constant (PRIMER, NOTE) is that string constant of the claims module, or of
#: theory.lectures (the five built-in titles); any other text is a document title or file name as it is.
_DOCUMENT_CONSTANT = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass
class ClaimsData:
    """The parsed data file of one claims module: its topic, its records by id (in file order), left_out."""

    path: Path | None
    topic: str | None = None
    records: dict[str, dict] = field(default_factory=dict)
    left_out: list[dict] = field(default_factory=list)


def data_file(module_name: str) -> Path | None:
    """The data file of a claims module: its source file with the suffix .toml (None: no file on disk)."""
    module_file = getattr(sys.modules.get(module_name), "__file__", None)
    return None if module_file is None else Path(module_file).with_suffix(".toml")


def _fail_field(where: str, name: str, value: object, wanted: str) -> TypeError:
    return TypeError(f"{where}: `{name}` must be {wanted}, got {type(value).__name__} {value!r:.80}")


def _check_table(where: str, table: object, fields: tuple[str, ...], required: tuple[str, ...]) -> dict:
    if not isinstance(table, dict):
        raise _fail_field(where, "entry", table, "a table")
    unknown = sorted(set(table) - set(fields))
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(fields)}")
    missing = [name for name in required if name not in table]
    if missing:
        raise ValueError(f"{where}: missing field(s) {', '.join(missing)}")
    for name, value in table.items():
        if name == "related":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise _fail_field(where, name, value, "a list of claim ids (strings)")
        elif name == "sources":
            if not isinstance(value, list):
                raise _fail_field(where, name, value, "an array of tables [[...sources]]")
            for i, source in enumerate(value):
                _check_table(f"{where}, sources[{i}]", source, SOURCE_FIELDS, ("document", "section"))
        elif not isinstance(value, str):
            raise _fail_field(where, name, value, "a string")
    return table


def read_claims_data(path: Path | None) -> ClaimsData:
    """Parse and check a claims data file (no file: no records). Errors name the file and the claim id."""
    if path is None or not path.is_file():
        return ClaimsData(path)
    try:
        with path.open("rb") as handle:
            table = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"claims data file {path}: {error}") from None
    data = ClaimsData(path, topic=table.pop("topic", None))
    if data.topic is not None and not isinstance(data.topic, str):
        raise _fail_field(str(path), "topic", data.topic, "a string")
    for i, entry in enumerate(table.pop("left_out", [])):
        data.left_out.append(_check_table(f"{path}, left_out[{i}]", entry, LEFT_OUT_FIELDS, LEFT_OUT_FIELDS))
    for claim_id, record in table.items():
        if not ID_PATTERN.match(claim_id):
            raise ValueError(f"{path}: {claim_id!r} is neither `topic`, `left_out` nor an UPPER.DOTTED claim id")
        data.records[claim_id] = _check_table(f"claim {claim_id} in {path}", record, RECORD_FIELDS, ())
    return data


def resolve_document(name: str, module_name: str, where: str) -> str:
    """A record's `document`: a constant's name (PRIMER, NOTE) is that string constant of the claims module or
    of theory.lectures; any other text is a document title or file name as it is."""
    if not _DOCUMENT_CONSTANT.match(name):
        return name
    for namespace in (sys.modules.get(module_name), lectures):
        value = getattr(namespace, name, None)
        if isinstance(value, str):
            return value
    raise ValueError(f"{where}: document {name!r} names no string constant of {module_name} or theory.lectures")
