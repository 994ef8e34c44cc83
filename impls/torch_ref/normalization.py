"""Normalization family (torch_ref)."""

__all__: list[str] = []
