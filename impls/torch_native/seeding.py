"""Run a PyTorch built-in that reads the global RNG from an explicit generator instead.

Many built-ins (F.dropout, nn.AlphaDropout, ...) take no generator. We draw a seed from the
caller's generator and run the built-in inside torch.random.fork_rng, so the global RNG state
is restored afterwards and the result is a function of the caller's generator alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


@contextlib.contextmanager
def seeded_from(generator: torch.Generator | None, device: torch.device) -> Iterator[None]:
    if generator is None:
        yield
        return
    seed = int(torch.randint(0, 2**62, (1,), generator=generator, device=generator.device).item())
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices, device_type=device.type if device.type != "cpu" else "cuda"):
        # Only the generator the built-in reads. torch.manual_seed would also seed every accelerator, and
        # on a machine where CUDA is not initialized it queues that call with a formatted stack trace
        # (0.5 ms each: 5 s of the default suite).
        if device.type == "cpu":
            torch.default_generator.manual_seed(seed)
        elif device.index is None:
            getattr(torch, device.type).manual_seed(seed)
        else:
            with getattr(torch, device.type).device(device.index):
                getattr(torch, device.type).manual_seed(seed)
        yield
