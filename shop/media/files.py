"""Keeping, reading and removing images through the configured storage."""

import logging
import secrets
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from shop.extensions import db
from shop.media.images import ImageRefused, MediaError, prepared, rendition_of
from shop.media.names import (
    is_original,
    is_rendition,
    originals_for,
    rendition_name,
    rendition_parts,
    renditions_of,
)
from shop.media.storage import Storage, Stored
from shop.private_files import private_folder

log = logging.getLogger("shop.media")
EXTENSION_KEY = "shop.media"  # app.extensions[...]: the app's Storage
DISCARD_KEY = "shop.media.discard"  # session.info[...]: names to remove after the commit


def storage() -> Storage:
    return current_app.extensions[EXTENSION_KEY]


def image_folder() -> Path:
    """instance/images/, made (private) if missing: the local storage's folder."""
    return private_folder(Path(current_app.instance_path) / "images")


def store_image(data: bytes, *, name: str) -> str:
    """Check and re-draw an upload and keep it, with every size, as <name>-<random>.<ext>;
    returns the original's name. Nothing is left behind when it fails."""
    ready = prepared(data)
    filename = f"{name}-{secrets.token_hex(6)}.{ready.extension}"
    files = {rendition_name(filename, size): body for size, body in ready.renditions.items()}
    files[filename] = ready.original  # last: an original is never there without its sizes
    written = []
    try:
        for key, body in files.items():
            storage().save(key, body)
            written.append(key)
    except MediaError:
        _remove_quietly(written)
        raise
    return filename


def delete_image(filename: str) -> None:
    """Remove an original and its sizes now (a file already gone is fine)."""
    _remove_quietly([filename, *renditions_of(filename)])


def discard_after_commit(filename: str) -> None:
    """Remove an original and its sizes once the current transaction commits (a rollback
    keeps them: the row that names them is still there)."""
    db.session.info.setdefault(DISCARD_KEY, []).append(filename)


def open_image(name: str, if_none_match: str | None = None) -> Stored | None:
    """The file to serve under this name, or None. A size of an image kept before sizes
    existed is drawn from its original the first time it is asked for."""
    stored = storage().open(name, if_none_match)
    if stored is None and is_rendition(name) and make_rendition(name):
        stored = storage().open(name, if_none_match)
    return stored


def image_bytes(filename: str, size: str | None = None) -> bytes | None:
    """An image's bytes at a size (drawn if missing), else its original; None if neither."""
    if not is_original(filename):
        return None
    if size is not None:
        name = rendition_name(filename, size)
        data = storage().load(name)
        if data is None and make_rendition(name):
            data = storage().load(name)
        if data is not None:
            return data
    return storage().load(filename)


def make_rendition(name: str) -> bool:
    """Draw one missing size from its original and keep it; False when there is no
    original (or it cannot be drawn)."""
    stem, size = rendition_parts(name)
    for original in originals_for(stem):
        data = storage().load(original)
        if data is not None:
            break
    else:
        return False
    try:
        body = rendition_of(data, size)
    except ImageRefused as err:
        log.warning("cannot draw %s from %s: %s", name, original, err.message)
        return False
    storage().save(name, body)
    return True


def make_missing_renditions() -> tuple[int, list[str]]:
    """Every size missing beside an original, drawn (`flask media renditions`); returns
    how many were made and the originals that could not be drawn."""
    names = set(storage().names())
    made, failed = 0, []
    for original in sorted(n for n in names if is_original(n)):
        for name in renditions_of(original):
            if name in names:
                continue
            if make_rendition(name):
                made += 1
            elif original not in failed:
                failed.append(original)
    return made, failed


def copy_between(source: Storage, target: Storage) -> tuple[int, int]:
    """Every media file of source that target lacks, copied (`flask media copy-to-s3`);
    returns (copied, already there). Sizes first, so an original never arrives alone."""
    there = set(target.names())
    copied = skipped = 0
    for name in sorted(source.names(), key=is_original):
        if name in there:
            skipped += 1
            continue
        data = source.load(name)
        if data is not None:
            target.save(name, data)
            copied += 1
    return copied, skipped


def _remove_quietly(names: list[str]) -> None:
    """Removing is tidying up: a storage that fails leaves unused files, logged. The first
    failure ends it: a bucket that is down would make each further name wait its timeout."""
    for index, name in enumerate(names):
        try:
            storage().delete(name)
        except MediaError as err:
            log.warning("could not remove the media files %s: %s", ", ".join(names[index:]), err)
            return


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _discard_committed(session) -> None:
    names = session.info.pop(DISCARD_KEY, None)
    for filename in names or ():
        delete_image(filename)


@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _keep_rolled_back(session) -> None:
    session.info.pop(DISCARD_KEY, None)
