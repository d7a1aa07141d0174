"""Media: the store's images (product photos, the logo), checked and re-drawn on upload
(shop.media.images), drawn again at the sizes pages show, and kept in a local folder or
an S3-compatible bucket (shop.media.storage) under names that never change
(shop.media.names)."""

from shop.media.files import (
    delete_image,
    discard_after_commit,
    image_bytes,
    image_folder,
    make_missing_renditions,
    open_image,
    storage,
    store_image,
)
from shop.media.images import SIZES, ImageRefused, MediaError, redrawn
from shop.media.names import rendition_name
from shop.media.setup import init_app
from shop.media.storage import MediaUnavailable, Stored

__all__ = [
    "SIZES",
    "Stored",
    "ImageRefused",
    "MediaError",
    "MediaUnavailable",
    "delete_image",
    "discard_after_commit",
    "image_bytes",
    "image_folder",
    "init_app",
    "make_missing_renditions",
    "open_image",
    "redrawn",
    "rendition_name",
    "storage",
    "store_image",
]
