"""Image loading for multi-image tasks: RGB pixels, resized by the model's sampling spec (each
image is a one-frame clip to its resize rule)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np

from ..errors import MediaError
from .sampling import SamplingSpec
from .video import resize_frames


def load_image(path: Path, spec: Optional[SamplingSpec] = None) -> np.ndarray:
    """RGB uint8 array of the image at ``path``, resized as ``spec`` asks (PIL's bicubic for the
    decoder backend, else the named resize backend)."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise MediaError(f"image not found: {path}")
    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            size = spec.image_size(im.height, im.width) if spec else None
            if size and spec is not None and spec.image_resize is not None and spec.image_resize.backend == "decoder":
                im = im.resize((size[1], size[0]), Image.Resampling.BICUBIC)
            pixels = np.asarray(im)
    except (UnidentifiedImageError, OSError) as exc:
        raise MediaError(f"cannot read image {path}: {exc}") from exc
    if size and spec is not None and spec.image_resize is not None and pixels.shape[:2] != tuple(size):
        pixels = resize_frames(pixels[None], size, spec.image_resize.backend)[0]
    return pixels


@dataclass
class LoadedImages:
    """The images of one multi-image sample, in the order the prompt uses them."""

    frames: List[np.ndarray]
    paths: List[Path]

    def facts(self) -> dict:
        return {"n_images": len(self.frames), "images": [p.name for p in self.paths],
                "sizes": [list(f.shape[:2]) for f in self.frames]}


def load_images(paths: Sequence[Path], spec: Optional[SamplingSpec] = None) -> LoadedImages:
    return LoadedImages([load_image(p, spec) for p in paths], list(paths))
