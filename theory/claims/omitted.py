"""Statements of the documents deliberately not in the ledger: the [[left_out]] entries of omitted.toml
beside this module, each with the reason (theory.ledger reads them when it loads this module)."""
