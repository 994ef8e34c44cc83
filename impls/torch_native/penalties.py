"""Penalties family (torch_native)."""

__all__: list[str] = []
