"""Protocol of the augmentation family."""
