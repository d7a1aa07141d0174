"""Uploaded images (product photos, the store's logo): checked, re-drawn and kept under
instance/images/, readable by the store's user only.

Pillow decodes the upload and writes a new file of the same format from its pixels
alone: whatever rode along after the picture (HTML, a script) and the metadata a camera
writes (EXIF with its GPS position, comments) are left behind. An animated GIF or WebP
keeps its first frame. A picture of more than MAX_IMAGE_PIXELS pixels is refused before
it is decoded (a decompression bomb is a few KB that decode to gigabytes).
"""

import io
import secrets
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from shop.errors import DomainError
from shop.private_files import private_folder, write_private

IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
# What a picture needs to look the same; everything else in Pillow's info is dropped.
KEPT_INFO = ("icc_profile", "transparency", "dpi")


class ImageRefused(DomainError):
    """The upload is not an image the store will keep."""


def image_folder() -> Path:
    """instance/images/, made (private) if missing."""
    return private_folder(Path(current_app.instance_path) / "images")


def store_image(data: bytes, *, name: str) -> str:
    """Check and re-draw an upload, keep it as <name>-<random>.<ext>; returns the file name."""
    clean, extension = redrawn(data)
    filename = f"{name}-{secrets.token_hex(6)}.{extension}"
    write_private(image_folder() / filename, clean)
    return filename


def redrawn(data: bytes) -> tuple[bytes, str]:
    """The picture in `data` written anew from its pixels, and its file extension."""
    cfg = current_app.config
    if len(data) > cfg["MAX_IMAGE_BYTES"]:
        raise ImageRefused(f"The image is too large (at most {cfg['MAX_IMAGE_BYTES'] >> 20} MB).")
    too_many = ImageRefused(
        f"This image has too many pixels: at most {cfg['MAX_IMAGE_PIXELS'] / 1e6:g} megapixels."
    )
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format not in IMAGE_FORMATS:
                raise ImageRefused("Upload a JPEG, PNG, WebP or GIF image.")
            if img.width * img.height > cfg["MAX_IMAGE_PIXELS"]:
                raise too_many
            return _redraw(img), IMAGE_FORMATS[img.format]
    except Image.DecompressionBombError as exc:  # past Pillow's own limit, before ours
        raise too_many from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageRefused("This file is not an image we can show.") from exc


def _redraw(img: Image.Image) -> bytes:
    img_format = img.format
    picture = ImageOps.exif_transpose(img)  # turned upright before its EXIF goes
    picture.info = {key: img.info[key] for key in KEPT_INFO if key in img.info}
    out = io.BytesIO()
    options = {"quality": 90} if img_format in ("JPEG", "WEBP") else {}
    picture.save(out, format=img_format, **options)
    return out.getvalue()
