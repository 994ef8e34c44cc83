"""The result of adapting a user's module: a protocol module plus what the adapter found out."""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from impls.conventions.common import DidNotFinish, StubCalled, is_stub_result, limited

#: How long a probe call (one small input, made while loading) may take.
PROBE_TIME_LIMIT_S = 5.0


@dataclass
class Adapted:
    """A protocol module built from a user's module, with the notes `regverify check` prints."""

    module: types.ModuleType
    convention: str
    notes: list[str] = field(default_factory=list)
    not_implemented: dict[str, str] = field(default_factory=dict)  # user's function -> why

    def read_p_as(self, subject: str, forced: str | None, found: str | None, how: str, default: str,
                  default_note: str) -> str:
        """Decide what the user's dropout `p` means ("keep" or "drop"): `forced` by the caller, else `found` by
        probing the code (`how` says what the probe saw), else the convention's `default`; note the decision
        and set it as the protocol module's P_MEANING."""
        if forced:
            self.notes.append(f"{subject} read as the {forced} probability (forced; the code {how})")
        elif found:
            self.notes.append(f"{subject} behaves as the {found} probability ({how})")
        else:
            self.notes.append(f"{subject} {how}: {default_note}")
        self.module.P_MEANING = forced or found or default
        return self.module.P_MEANING


def new_protocol_module(name: str, backend: str, **attributes: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.BACKEND = backend
    for key, value in attributes.items():
        setattr(module, key, value)
    return module


def probe(function: Callable, *args: Any, what: str) -> tuple[str, Any]:
    """Call once on a small valid input: ("stub", reason), ("error", exception) or ("ok", result).

    A stub returns None (or a tuple of Nones, as an unfilled CS231n template does) or raises
    NotImplementedError; it is reported "not implemented", never as a failure.
    """
    try:
        with np.errstate(all="ignore"):
            result = limited(function, *args, what=what, seconds=PROBE_TIME_LIMIT_S)
    except NotImplementedError as error:
        return "stub", f"raises NotImplementedError{': ' + str(error) if str(error) else ''}"
    except DidNotFinish as error:
        return "error", error
    except Exception as error:  # noqa: BLE001 - the properties will report it with context
        return "error", error
    if is_stub_result(result):
        return "stub", "returns None (an unfilled stub)"
    return "ok", result


def call_user(function: Callable, *args: Any, what: str, context: str = "") -> Any:
    """Call the user's code under the time limit; a stub answer or an exception carries its context."""
    try:
        result = limited(function, *args, what=what)
    except NotImplementedError as error:
        raise StubCalled(f"{what} raised NotImplementedError: not implemented") from error
    except Exception as error:
        error.add_note(f"regverify: raised inside {what}{' — ' + context if context else ''}")
        raise
    if is_stub_result(result):
        raise StubCalled(f"{what} returned None{' — ' + context if context else ''}: not implemented")
    return result
