"""Images stored inside parquet files (HF ``datasets`` Image columns: ``{bytes, path}``
structs) are written once to the evalkit cache, so samples refer to plain files."""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any, Mapping

from evalkit.errors import DataError


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


SAFE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}


def safe_name(name: str) -> str:
    """A file name made from data: kept when it is plain, else a hash of it (identifiers from
    dataset files never become path components as they are)."""
    return name if SAFE_NAME.match(name) else "h" + hashlib.sha256(name.encode()).hexdigest()[:24]


def stored_image(cell: Any, folder: Path, name: str, where: str) -> Path:
    """Write one image cell to ``folder/<name>.<ext>`` unless it is there already."""
    if not isinstance(cell, Mapping) or not isinstance(cell.get("bytes"), (bytes, bytearray)):
        raise DataError(f"{where}: expected an image cell with 'bytes'")
    ext = Path(cell.get("path") or "").suffix.lower()
    path = folder / f"{safe_name(name)}{ext if ext in IMAGE_SUFFIXES else '.png'}"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(cell["bytes"])
        os.replace(tmp, path)
    return path
