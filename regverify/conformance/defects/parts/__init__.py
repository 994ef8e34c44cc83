"""Pieces the defect catalogue builds its targets from: each reference rule written once here as a set of small,
named steps, so a defect module swaps in exactly the one step it gets wrong and shows nothing but its mistake.

The steps lean only on the references' public functions and impls.validation, never on a reference's private
helpers, so a defect keeps failing for its own mistake when the references are refactored.

This is a subpackage, not a module beside the defects: every ``defects/*.py`` is a catalogued defect.
"""
