"""Where a prepared document batch's PDF is kept: for now a private folder in the instance
folder (shop.private_files), which the web process and the worker share on one machine.
Everything that reads or writes these files goes through the three functions below, so
they can move to the shared storage of shop.media (for workers on other machines) alone.
"""

import os
import secrets
from pathlib import Path

from flask import current_app

from shop.private_files import private_folder, write_private

FOLDER = "document-batches"


def _path(name: str) -> Path:
    return private_folder(Path(current_app.instance_path) / FOLDER) / f"{name}.pdf"


def save(name: str, data: bytes) -> None:
    """Keep the file `name` (a batch's random token: no path can be made of it). Written
    aside and renamed into place: a reader (or a second copy of the job writing the same
    file) never meets a half-written one."""
    final = _path(name)
    aside = final.with_name(f"{final.name}.{secrets.token_hex(8)}.part")
    try:
        write_private(aside, data)
        os.replace(aside, final)
    finally:
        aside.unlink(missing_ok=True)


def open_file(name: str):
    """The file `name` opened for reading (binary), or None when it is not there."""
    try:
        return _path(name).open("rb")
    except FileNotFoundError:
        return None


def delete(name: str) -> None:
    _path(name).unlink(missing_ok=True)
