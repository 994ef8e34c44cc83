"""Protocol of the normalization family."""
