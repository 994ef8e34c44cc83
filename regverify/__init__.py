"""regverify: executable evidence for the claims lecture notes make about regularization."""

__version__ = "0.1.0"
