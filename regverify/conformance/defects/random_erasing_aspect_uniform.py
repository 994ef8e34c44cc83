"""Defect: random erasing draws the aspect ratio uniformly on [r_low, r_high] instead of log-uniformly, so tall boxes
(ratio > 1) are drawn about 9 times as often as wide ones for ratio (1/3, 3)."""

from regverify.conformance.defects.parts.random_erasing import random_erasing_from, ten_attempts

BACKEND = "torch"

# The mistake: r_low + (r_high - r_low)·u, where torchvision and the papers take exp(U(log r_low, log r_high)).
random_erasing = random_erasing_from(ten_attempts(aspect_of=lambda r_low, r_high, u: r_low + (r_high - r_low) * u))
