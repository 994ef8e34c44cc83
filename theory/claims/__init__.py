"""Topic modules of the claim ledger; each registers its claims on import."""
