"""Uploaded images (product photos, the store's logo): checked, re-drawn, and drawn again
at the sizes the pages show.

Pillow decodes the upload and writes a new file of the same format from its pixels
alone: whatever rode along after the picture (HTML, a script) and the metadata a camera
writes (EXIF with its GPS position, comments) are left behind. An animated GIF or WebP
keeps its first frame. A picture of more than MAX_IMAGE_PIXELS pixels is refused before
it is decoded (a decompression bomb is a few KB that decode to gigabytes).

The re-drawn picture is kept as the original; each size in SIZES is drawn from it as a
WebP of at most that many pixels on its long side (never enlarged), so a product card
never sends a phone's 5 MB photo.
"""

import io
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from shop.errors import DomainError

IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
# What a picture needs to look the same; everything else in Pillow's info is dropped.
KEPT_INFO = ("icc_profile", "transparency", "dpi")
# The sizes pages ask for (shop.storefront.helpers.image_url), by the longest side in
# pixels. card: product cards, the product page's small pictures, the back office's
# lists and the logo preview, shown at up to 240 CSS pixels, so 480 is sharp on a 2x
# screen. product: the product page's main picture and the invoice's logo.
SIZES = {"card": 480, "product": 1200}
RENDITION_FORMAT, RENDITION_EXTENSION = "WEBP", "webp"
RENDITION_QUALITY = 82  # photos look the same as at 90 for about two thirds of the bytes
# libwebp's speed/size trade-off (0-6, default 4): 2 encodes in half the time for a few
# per cent more bytes, which matters when the demo seed draws hundreds of them.
RENDITION_METHOD = 2


class MediaError(DomainError):
    """An image cannot be kept, served or removed; the message says why."""


class ImageRefused(MediaError):
    """The upload is not an image the store will keep."""


@dataclass
class Prepared:
    """An upload made ready to keep: the re-drawn original and each size drawn from it."""

    original: bytes
    extension: str
    renditions: dict[str, bytes] = field(default_factory=dict)


def prepared(data: bytes) -> Prepared:
    """Check and re-draw an upload, and draw it at every size in SIZES."""
    with _opened(data) as img, _undrawable():
        picture = _upright(img)
        return Prepared(
            original=_saved(picture, img.format),
            extension=IMAGE_FORMATS[img.format],
            renditions={size: _rendition(picture, side) for size, side in SIZES.items()},
        )


def redrawn(data: bytes) -> tuple[bytes, str]:
    """The picture in `data` written anew from its pixels, and its file extension."""
    ready = prepared(data)
    return ready.original, ready.extension


def rendition_of(original: bytes, size: str) -> bytes:
    """One size drawn from a kept original (an image stored before sizes existed)."""
    with _opened(original) as img, _undrawable():
        return _rendition(_upright(img), SIZES[size])


def _upright(img: Image.Image) -> Image.Image:
    picture = ImageOps.exif_transpose(img)  # turned upright before its EXIF goes
    picture.info = {key: img.info[key] for key in KEPT_INFO if key in img.info}
    return picture


@contextmanager
def _undrawable():
    """A picture Pillow opened but cannot draw again is refused like one it cannot open."""
    try:
        yield
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageRefused("This file is not an image we can show.") from exc


def _opened(data: bytes):
    """The image in `data`, opened (not yet decoded) once it passed every check."""
    cfg = current_app.config
    if len(data) > cfg["MAX_IMAGE_BYTES"]:
        raise ImageRefused(f"The image is too large (at most {cfg['MAX_IMAGE_BYTES'] >> 20} MB).")
    too_many = ImageRefused(
        f"This image has too many pixels: at most {cfg['MAX_IMAGE_PIXELS'] / 1e6:g} megapixels."
    )
    try:
        img = Image.open(io.BytesIO(data))
        if img.format not in IMAGE_FORMATS:
            raise ImageRefused("Upload a JPEG, PNG, WebP or GIF image.")
        if img.width * img.height > cfg["MAX_IMAGE_PIXELS"]:
            raise too_many
        img.load()  # a truncated file fails here, inside this try, not later
        return img
    except Image.DecompressionBombError as exc:  # past Pillow's own limit, before ours
        raise too_many from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageRefused("This file is not an image we can show.") from exc


def _saved(picture: Image.Image, img_format: str) -> bytes:
    out = io.BytesIO()
    options = {"quality": 90} if img_format in ("JPEG", "WEBP") else {}
    picture.save(out, format=img_format, **options)
    return out.getvalue()


def _rendition(picture: Image.Image, side: int) -> bytes:
    has_alpha = "A" in picture.getbands() or "transparency" in picture.info
    # Palette and 1-bit pictures would be resized pixel by pixel (no smoothing); CMYK
    # has no place in WebP. Its colour profile is kept only where it still fits.
    icc = picture.info.get("icc_profile") if picture.mode in ("RGB", "RGBA") else None
    small = picture.convert("RGBA" if has_alpha else "RGB")
    small.thumbnail((side, side), Image.Resampling.LANCZOS)  # never larger than it was
    out = io.BytesIO()
    options = {"icc_profile": icc} if icc else {}
    small.save(
        out, format=RENDITION_FORMAT, quality=RENDITION_QUALITY, method=RENDITION_METHOD, **options
    )
    return out.getvalue()
