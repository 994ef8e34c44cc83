"""A torch target whose dropout never returns (a watchdog, Ctrl-C or SIGTERM must stop it)."""

import time

BACKEND = "torch"


def dropout(x, p=0.5, *, training=True, generator=None):
    while True:  # sleeps in short steps: a signal or the case timeout interrupts it at once
        time.sleep(0.05)
