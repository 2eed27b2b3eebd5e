"""torchvision beside a CPU-only torch.

transformers' video processors need torchvision, whose wheels on PyPI are CUDA builds: next to
the CPU torch (``torch==2.13.0``, what the Makefile installs) their compiled ops cannot load,
and importing torchvision then fails on its first fake-op registration (``operator
torchvision::nms does not exist``), which also breaks transformers' model classes. Declaring the
two op schemas torchvision registers fakes for (``nms``, ``qnms``) before it is imported is
enough for everything the processors use (transforms, functional resize): only
``torchvision.ops`` and the image codecs in ``torchvision.io`` stay unusable. Measured: the CPU
venv with this takes 1.3 GB and installs in 39 s; the CUDA torch 2.14.1 + torchvision 0.29.1
pair, which needs no help, 5.8 GB and 74 s.

The schemas are declared only when torchvision's compiled ops really cannot load: where they
load (a CUDA torch, a CPU torchvision built for this torch) declaring them would collide with
theirs and abort the process, so :func:`prepare` first loads them as torchvision would.
"""
from __future__ import annotations

import glob
import importlib.util
import os
import sys
from typing import Any, Optional

SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)
_library: Optional[Any] = None  # the declared schemas live as long as this object
state = "not prepared"


def prepare() -> str:
    """Make torchvision importable; call before anything imports it (every module that imports
    transformers calls it first). Returns what it found: 'no torchvision', 'imported already',
    'native' (its ops load: nothing done) or 'declared'."""
    global _library, state
    if _library is not None:
        return state
    if "torchvision" in sys.modules:
        state = "imported already"
        return state
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        state = "no torchvision"
        return state
    import torch

    try:
        torch.ops.torchvision.nms  # noqa: B018  (defined: its ops loaded already)
        state = "native"
        return state
    except (AttributeError, RuntimeError):
        pass
    for library in sorted(glob.glob(os.path.join(spec.submodule_search_locations[0], "_C*.so"))):
        try:
            torch.ops.load_library(library)  # as torchvision's extension loader does
            state = "native"
            return state
        except (OSError, ImportError, RuntimeError):
            pass
    _library = torch.library.Library("torchvision", "DEF")
    for schema in SCHEMAS:
        _library.define(schema)
    state = "declared"
    return state
