"""Protocol of the penalties family."""
