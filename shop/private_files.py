"""Files in the instance folder (customers' emails, the SQLite database, the secret key,
uploaded images) are for the store's own user alone: folders 0700, files 0600, from
their first byte and whatever the umask."""

import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(path: Path) -> Path:
    """The folder, made if missing; one made before with wider modes is narrowed."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    _narrow(path, FOLDER_MODE)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write the file so that no other user can read it, not even while it is written."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), FILE_MODE)  # a file that was there keeps its old mode
        out.write(data)


def private_file(path: Path) -> None:
    """Make the file (empty) if missing, and narrow it to the store's user; a file in a
    folder that does not exist is left to whoever opens it (and fails there)."""
    if not path.parent.is_dir():
        return
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    _narrow(path, FILE_MODE)


def _narrow(path: Path, wanted: int) -> None:
    # Only what the store's user owns: a folder someone else owns was shared on purpose.
    info = path.stat()
    if info.st_uid == os.geteuid() and info.st_mode & 0o777 & ~wanted:
        path.chmod(wanted)
