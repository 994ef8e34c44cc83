"""Implementations under test: references, adapters to PyTorch built-ins, and the target protocol."""
