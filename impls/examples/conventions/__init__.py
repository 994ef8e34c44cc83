"""Small targets, each written to one legitimate convention that is not PyTorch's and declaring it
(impls/protocol/conventions.py). tests/test_conventions.py proves that each passes the convention's
property when it declares its convention and fails when it declares another one.

They are deliberately minimal (plain torch arithmetic, explicit generators); each implements only the
operation its convention is about.
"""
