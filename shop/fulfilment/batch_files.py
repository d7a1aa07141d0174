"""Where a prepared document batch's PDF is kept: in the database, beside its batch, so
the worker that draws it and every web host that hands it out see the same file with no
shared folder (a batch is kept a day, then forgotten with its file). Everything that reads
or writes these files goes through the three functions below."""

import io

import sqlalchemy as sa

from shop.extensions import db
from shop.fulfilment.models import DocumentBatchFile


def save(name: str, data: bytes) -> None:
    """Keep the file `name` (a batch's random token), in the caller's transaction: the
    batch is marked ready in the same commit, so nobody meets a batch without its file.
    A second copy of the job writing the same file replaces it."""
    delete(name)
    db.session.add(DocumentBatchFile(token=name, data=data))


def open_file(name: str):
    """The file `name` as a binary stream, or None when it is not there."""
    data = db.session.scalar(
        sa.select(DocumentBatchFile.data).where(DocumentBatchFile.token == name)
    )
    return None if data is None else io.BytesIO(data)


def delete(name: str) -> None:
    db.session.execute(sa.delete(DocumentBatchFile).where(DocumentBatchFile.token == name))
