"""`python -m regverify.conformance [pytest options] --impl TARGET`: the shipped suite, from any directory.

pytest's --pyargs does not load a package's conftest before it parses options, so this passes the
suite's directory instead; every other argument goes to pytest unchanged.
"""

from __future__ import annotations

import sys

import pytest

from regverify.conformance.plugin import SUITE_DIR


def main(argv: list[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    paths = [a for a in arguments if a.startswith(str(SUITE_DIR))]
    return int(pytest.main(([] if paths else [str(SUITE_DIR)]) + arguments))


if __name__ == "__main__":
    sys.exit(main())
