"""Where a number came from: the versions of evalkit and the libraries that shape it, and the
git commit of the code, recorded in run.json."""
from __future__ import annotations

import platform
import subprocess
from pathlib import Path
from typing import Dict, Optional

from . import __version__

PACKAGES = ("torch", "transformers", "torchvision", "decord", "av", "numpy", "pandas", "datasets", "huggingface_hub")


def git_sha() -> Optional[str]:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True,
                             timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def versions() -> Dict[str, Optional[str]]:
    from importlib.metadata import PackageNotFoundError, version

    out: Dict[str, Optional[str]] = {"python": platform.python_version(), "evalkit": __version__}
    for pkg in PACKAGES:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out
