"""Image files: a folder of class sub-folders or loose images, decoded the way every image model reads them.

Decoding (:func:`decode_image`): RGBA, LA and palette images are composited on white; then grey (ITU-R 601 luma,
PIL's ``L``) or RGB; an optional top-left crop ``[height, width]`` in source pixels (padded with white when the
image is smaller); then resized to ``image_size = [H, W]`` (bilinear). Output ``uint8`` ``(C, H, W)``, C = 1 or 3.
A file PIL cannot read, or one that declares more pixels than PIL's decompression-bomb limit, is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from genotorch.errors import GenotorchError


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}


@dataclass(frozen=True)
class ImageItem:
    """One image file and its class (the sub-folder name)."""
    path: str
    folder: str   # the sub-folder it was filed under
    label: str    # the class after merging


def scan_folder(root: str | Path, class_map: Mapping[str, Sequence[str]] | None = None) -> list[ImageItem]:
    """Images under ``root/<folder>/``, labelled by ``class_map`` (class -> folders; default: one class per folder).

    Raises
    ------
    GenotorchError
        Missing root, a folder in ``class_map`` that does not exist, or no image at all.
    """
    root = Path(root)
    if not root.is_dir():
        raise GenotorchError(f"image folder {root} does not exist: check data.root (a folder of class sub-folders)")
    folders = sorted(p.name for p in root.iterdir() if p.is_dir())
    if class_map:
        known = set(folders)
        for cls, subs in class_map.items():
            missing = [s for s in subs if s not in known]
            if missing:
                raise GenotorchError(f"data.classes.{cls}: no sub-folder {', '.join(missing)} in {root} "
                                     f"(it has: {', '.join(folders)})")
        label_of = {s: cls for cls, subs in class_map.items() for s in subs}
    else:
        label_of = {f: f for f in folders}
    items = []
    for folder in folders:
        if folder not in label_of:
            continue
        for p in sorted((root / folder).iterdir()):
            if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file():
                items.append(ImageItem(str(p), folder, label_of[folder]))
    if not items:
        raise GenotorchError(f"no PNG/JPEG image in the class sub-folders of {root}")
    return items


def scan_loose(root: str | Path) -> list[str]:
    """Every image under ``root`` (recursively): for prediction on a folder of loose images or of class folders."""
    root = Path(root)
    if root.is_file():
        return [str(root)]
    if not root.is_dir():
        raise GenotorchError(f"{root} is neither an image nor a folder of images")
    paths = sorted(str(p) for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not paths:
        raise GenotorchError(f"no PNG/JPEG image under {root}")
    return paths


def load_image(path: str | Path, image_size: Sequence[int] = (224, 224), grayscale: bool = True,
               crop: Sequence[int] | None = None) -> np.ndarray:
    """Decode one image as described in the module docstring; ``uint8`` array ``(C, H, W)``.

    Raises
    ------
    GenotorchError
        The file cannot be decoded as an image.
    """
    return decode_image(Path(path).read_bytes(), image_size, grayscale, crop, name=str(path))


def decode_image(data: bytes, image_size: Sequence[int] | None = (224, 224), grayscale: bool = True,
                 crop: Sequence[int] | None = None, name: str = "image") -> np.ndarray:
    """:func:`load_image` on the bytes of a file already read (``name`` for the error message)."""
    import io

    from PIL import Image

    import warnings

    try:
        with warnings.catch_warnings(), Image.open(io.BytesIO(data)) as im:
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im.load()
            if im.mode in ("RGBA", "LA", "P"):
                im = im.convert("RGBA")
                bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
                im = Image.alpha_composite(bg, im)
            im = im.convert("L" if grayscale else "RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as e:
        raise GenotorchError(f"{name} is not a readable image ({str(e).splitlines()[0][:160]})") from None
    if crop:
        ch, cw = int(crop[0]), int(crop[1])
        canvas = Image.new(im.mode, (cw, ch), 255 if im.mode == "L" else (255, 255, 255))
        canvas.paste(im.crop((0, 0, min(cw, im.width), min(ch, im.height))), (0, 0))
        im = canvas
    if image_size:  # None: the native size (chart profiles are read at full resolution)
        H, W = int(image_size[0]), int(image_size[1])
        im = im.resize((W, H), Image.BILINEAR)
    arr = np.asarray(im, dtype=np.uint8)
    return arr[None] if arr.ndim == 2 else np.ascontiguousarray(arr.transpose(2, 0, 1))
