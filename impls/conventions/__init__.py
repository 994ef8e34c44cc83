"""Convention adapters: code as users write it, translated into the target protocol (impls/protocol/).

A user's module or file needs no regverify-specific code. When it has no ``BACKEND`` attribute its
convention is detected from its signatures (or named):

- ``cs231n``: functions ``dropout_forward(x, dropout_param)``, ``batchnorm_forward(x, gamma, beta,
  bn_param)``, ``layernorm_forward(x, gamma, beta, ln_param)`` and their backwards;
- ``layer-class``: classes Dropout / BatchNorm / LayerNorm with ``forward``/``backward`` and a
  ``training`` flag (the week-6 lecture's own NumPy code);
- ``d2l``: ``dropout_layer(X, dropout)`` in torch.

A target spec names the module or file and, optionally, what was forced on the command line, so a
replay line reloads exactly the same adapter:

    layers.py                        a file (its convention detected)
    hw.layers                        a dotted module
    layers.py?convention=cs231n&p=keep
    lecture.md                       a document: its ```python blocks, in order, are the module
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import re
import sys
import types
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from impls.conventions import cs231n, d2l, layer_class
from impls.conventions.base import Adapted

#: Name -> adapter module (each has matches(module) and adapt(module, name, p_meaning=...)), in detection order.
ADAPTERS = {cs231n.NAME: cs231n, layer_class.NAME: layer_class, d2l.NAME: d2l}
P_MEANINGS = ("keep", "drop")
DOCUMENT_SUFFIXES = (".md", ".txt", ".markdown")


class ConventionError(Exception):
    """The module follows no known convention, or a forced option is invalid (one-line message)."""


def parse_spec(spec: str) -> tuple[str, dict[str, str]]:
    """'layers.py?convention=cs231n&p=keep' -> ('layers.py', {'convention': 'cs231n', 'p': 'keep'})."""
    location, _, query = spec.partition("?")
    options = dict(parse_qsl(query, keep_blank_values=True)) if query else {}
    unknown = sorted(set(options) - {"convention", "p"})
    if unknown:
        raise ConventionError(f"target {spec!r}: unknown option(s) {', '.join(unknown)}; expected convention=, p=")
    if "convention" in options and options["convention"] not in ADAPTERS:
        raise ConventionError(f"target {spec!r}: convention must be one of {', '.join(ADAPTERS)}, "
                              f"got {options['convention']!r}")
    if "p" in options and options["p"] not in P_MEANINGS:
        raise ConventionError(f"target {spec!r}: p must be one of {', '.join(P_MEANINGS)}, got {options['p']!r}")
    return location, options


def make_spec(location: str, convention: str | None = None, p_meaning: str | None = None) -> str:
    options = {k: v for k, v in (("convention", convention), ("p", p_meaning)) if v}
    return f"{location}?{urlencode(options)}" if options else location


def is_path(location: str) -> bool:
    return location.endswith((".py", *DOCUMENT_SUFFIXES)) or "/" in location or "\\" in location


def python_blocks(text: str) -> list[str]:
    """The ```python fenced blocks of a markdown document, in order."""
    blocks = re.findall(r"^```(?:python|py)[ \t]*\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    return [block.rstrip() + "\n" for block in blocks]


def exec_document(path: Path, module: types.ModuleType) -> list[str]:
    """Run a document's python blocks in order in `module`; a block that cannot run on its own (a fragment
    using names the document never defines, such as a training loop) is skipped. Returns what was skipped."""
    skipped = []
    for number, block in enumerate(python_blocks(path.read_text(encoding="utf-8")), start=1):
        namespace = dict(module.__dict__)
        try:
            exec(compile(block, f"{path} (python block {number})", "exec"), namespace)  # noqa: S102 - user code
        except Exception as error:  # noqa: BLE001 - a fragment, not a module: reported, not fatal
            skipped.append(f"python block {number} skipped ({type(error).__name__}: {error})")
            continue
        module.__dict__.update(namespace)
    return skipped


def load_file(location: str) -> types.ModuleType:
    """Import a .py file (or a document's python blocks) under a private name, its directory importable."""
    path = Path(location).expanduser().resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {location}")
    digest = hashlib.sha256(f"{path}:{path.stat().st_mtime_ns}".encode()).hexdigest()[:10]
    name = f"regverify_user_{re.sub(r'[^0-9a-zA-Z_]', '_', path.stem)}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))  # its sibling modules import as they would for `python file.py`
    if path.suffix in DOCUMENT_SUFFIXES:
        module = types.ModuleType(name)
        module.__file__ = str(path)
        sys.modules[name] = module
        module.__regverify_skipped__ = exec_document(path, module)
        return module
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def load_module(location: str) -> types.ModuleType:
    if is_path(location):
        return load_file(location)
    return importlib.import_module(location)


def detect(module: types.ModuleType) -> str | None:
    """The first convention whose signatures the module has, or None."""
    return next((name for name, adapter in ADAPTERS.items() if adapter.matches(module)), None)


def adapt(module: types.ModuleType, name: str, convention: str | None = None,
          p_meaning: str | None = None) -> Adapted:
    """Translate `module` under `convention` (detected when None) into a protocol module called `name`."""
    chosen = convention or detect(module)
    if chosen is None:
        raise ConventionError(
            f"{name}: no BACKEND attribute and no known convention: expected CS231n functions "
            "(dropout_forward(x, dropout_param), batchnorm_forward(x, gamma, beta, bn_param), "
            "layernorm_forward(x, gamma, beta, ln_param)), layer classes with forward/backward "
            "(Dropout, BatchNorm, LayerNorm) or d2l's dropout_layer(X, dropout); "
            "or name one with --convention " + "|".join(ADAPTERS))
    if p_meaning is not None and p_meaning not in P_MEANINGS:
        raise ConventionError(f"p_meaning must be one of {P_MEANINGS}, got {p_meaning!r}")
    return ADAPTERS[chosen].adapt(module, name, p_meaning=p_meaning)


__all__ = ["ADAPTERS", "Adapted", "ConventionError", "adapt", "detect", "load_module", "make_spec", "parse_spec"]
