"""Protocol of the noise family."""
