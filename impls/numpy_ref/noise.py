"""Noise family (numpy_ref)."""

__all__: list[str] = []
