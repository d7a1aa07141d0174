"""The names media files are kept and served under.

An original is <stem>.<ext> (the stem is a product's slug or "logo", a dash and a random
token, so a name is never reused and its bytes never change); each size of it is
<stem>.<size>.webp beside it. A name is letters, digits, dashes and underscores with one
or two dots: nothing that climbs out of a folder or into another key of the bucket.
"""

import re

from shop.media.images import IMAGE_FORMATS, RENDITION_EXTENSION, SIZES

EXTENSIONS = tuple(IMAGE_FORMATS.values())
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}
MAX_NAME = 200
_STEM = r"[A-Za-z0-9][A-Za-z0-9_-]*"
_ORIGINAL = re.compile(rf"({_STEM})\.({'|'.join(EXTENSIONS)})")
_RENDITION = re.compile(rf"({_STEM})\.({'|'.join(SIZES)})\.{RENDITION_EXTENSION}")


def is_original(name: str) -> bool:
    return len(name) <= MAX_NAME and _ORIGINAL.fullmatch(name) is not None


def is_rendition(name: str) -> bool:
    return len(name) <= MAX_NAME and _RENDITION.fullmatch(name) is not None


def is_media_name(name: str) -> bool:
    """A name the store could have written: the only ones it reads or serves."""
    return is_original(name) or is_rendition(name)


def rendition_name(original: str, size: str) -> str:
    """tent-1a2b3c.png at "card" is tent-1a2b3c.card.webp."""
    if size not in SIZES:
        raise ValueError(f"unknown image size {size!r}; sizes are {', '.join(SIZES)}")
    stem = original.rsplit(".", 1)[0]
    return f"{stem}.{size}.{RENDITION_EXTENSION}"


def renditions_of(original: str) -> list[str]:
    return [rendition_name(original, size) for size in SIZES]


def rendition_parts(name: str) -> tuple[str, str]:
    """(stem, size) of a rendition's name."""
    match = _RENDITION.fullmatch(name)
    return match.group(1), match.group(2)


def originals_for(stem: str) -> list[str]:
    """The names the original of a stem may have (its extension is its format's)."""
    return [f"{stem}.{extension}" for extension in EXTENSIONS]


def content_type(name: str) -> str:
    return CONTENT_TYPES[name.rsplit(".", 1)[1]]
