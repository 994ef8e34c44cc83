"""Deliberately faulty targets for tests/test_faults.py: one raises, one hangs, one returns NumPy from a torch target."""
