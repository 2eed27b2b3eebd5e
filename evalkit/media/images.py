"""Image loading for multi-image tasks."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..errors import MediaError


def load_image(path: Path, size: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """RGB uint8 array of the image at ``path``, optionally resized to (height, width)."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise MediaError(f"image not found: {path}")
    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            if size:
                im = im.resize((size[1], size[0]), Image.Resampling.BICUBIC)
            return np.asarray(im)
    except (UnidentifiedImageError, OSError) as exc:
        raise MediaError(f"cannot read image {path}: {exc}") from exc


@dataclass
class LoadedImages:
    """The images of one multi-image sample, in the order the prompt uses them."""

    frames: List[np.ndarray]
    paths: List[Path]

    def facts(self) -> dict:
        return {"n_images": len(self.frames), "images": [p.name for p in self.paths],
                "sizes": [list(f.shape[:2]) for f in self.frames]}


def load_images(paths: Sequence[Path], size: Optional[Tuple[int, int]] = None) -> LoadedImages:
    return LoadedImages([load_image(p, size) for p in paths], list(paths))
