"""A torch target whose dropout never returns (a watchdog, Ctrl-C or SIGTERM must stop it)."""

import os
import time
from pathlib import Path

BACKEND = "torch"


def dropout(x, p=0.5, *, training=True, generator=None):
    if os.environ.get("REGVERIFY_HUNG_MARKER"):  # tells a waiting test that the case has started
        Path(os.environ["REGVERIFY_HUNG_MARKER"]).touch()
    while True:  # sleeps in short steps: a signal or the case timeout interrupts it at once
        time.sleep(0.05)
