"""Packing slips or labels of many shipments at once: a small batch is drawn in the
request, a large one (more than DOCUMENT_BATCH_QUEUED_ABOVE shipments) by the job
documents.batch in a worker, since a thousand slips take longer than a request may.

The batch is a row with a random token; the job draws the PDF, keeps it through
shop.fulfilment.batch_files and marks the row ready; the page of the batch (its link is
the token) shows "being prepared", then the download, to whoever asked and to staff of
the same role. Made files are forgotten after DOCUMENT_BATCH_KEEP_HOURS.
"""

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from shop import locks
from shop.accounts import roles
from shop.db import read_only, utcnow
from shop.errors import DomainError
from shop.extensions import db
from shop.formatting import plural
from shop.fulfilment import batch_files, printing
from shop.fulfilment.models import DocumentBatch, Shipment
from shop.jobs import enqueue

JOB = "documents.batch"
PACKING_SLIPS = "packing_slips"
LABELS = "labels"
KINDS = {PACKING_SLIPS: "Packing slips", LABELS: "Labels"}
FILENAMES = {PACKING_SLIPS: "packing-slips.pdf", LABELS: "labels.pdf"}
RENDERERS = {PACKING_SLIPS: printing.packing_slips_pdf, LABELS: printing.labels_pdf}
PREPARING = "preparing"
READY = "ready"
FAILED = "failed"
TOKEN_BYTES = 32  # 43 characters of a URL-safe token: not guessable
MAX_TOKEN = 64


def is_large(count: int) -> bool:
    """Whether a batch of `count` shipments is made by a job rather than in the request."""
    return count > current_app.config["DOCUMENT_BATCH_QUEUED_ABOVE"]


def ask_batch(kind: str, shipments: list[Shipment], user) -> DocumentBatch:
    """Record a batch of `kind` for these shipments asked by `user` (flushed, not queued:
    the worker must find it committed; start_batch queues it after the commit)."""
    batch = DocumentBatch(
        token=secrets.token_urlsafe(TOKEN_BYTES),
        kind=kind,
        shipment_numbers="\n".join(s.number for s in shipments),
        count=len(shipments),
        user_id=user.id,
        role=user.role,
        status=PREPARING,
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def start_batch(batch_id: int) -> None:
    """Queue the job of the committed batch; DomainError (the batch marked failed) when
    the queue does not answer. Takes the id, not the row: reading an expired row after
    the commit would open a transaction that the job (in immediate mode) waits for."""
    try:
        enqueue(JOB, batch_id)
    except Exception as error:
        _fail(batch_id, f"could not be queued: {type(error).__name__}")
        raise DomainError(
            "The batch could not be queued (the job queue does not answer); "
            "print fewer shipments at a time, or try again later."
        ) from error


def make_batch(batch_id: int) -> str:
    """The job: draw the batch's PDF, keep it, mark the batch ready (and forget expired
    batches). The drawing only reads (on SQLite it takes no write lock meanwhile); the
    keeping locks the batch, so of two copies at once the second finds it ready."""
    try:
        with read_only():
            batch = db.session.get(DocumentBatch, batch_id)
            if batch is None or batch.status == READY:
                db.session.commit()
                return f"batch {batch_id}: nothing to do"
            kind, count = batch.kind, batch.count
            shipments = printing.shipments_by_numbers(batch.shipment_numbers.split("\n"))
            if shipments is None:
                raise DomainError("a shipment of the batch is no longer there")
            data = RENDERERS[kind](shipments)
            db.session.commit()
        if not _keep(batch_id, data):
            return f"batch {batch_id}: made by another copy of the job"
    except Exception as error:
        db.session.rollback()
        _fail(batch_id, f"{type(error).__name__}: {error}")
        raise  # the queue tries it again later
    forgotten = forget_expired()
    made = f"{KINDS[kind].lower()} of {plural(count, 'shipment')}: {len(data)} bytes"
    if forgotten:
        made += f"; {plural(forgotten, 'expired batch', 'expired batches')} forgotten"
    return made


def _keep(batch_id: int, data: bytes) -> bool:
    """Store the file and mark the batch ready, under the batch's lock; False when another
    copy of the job did it first (or the batch was forgotten meanwhile)."""
    batch = locks.lock_document_batch(batch_id)
    if batch is None or batch.status == READY:
        db.session.commit()
        return False
    batch_files.save(batch.token, data)
    batch.status, batch.size, batch.error = READY, len(data), None
    batch.finished_at = utcnow()
    db.session.commit()
    return True


def _fail(batch_id: int, error: str) -> None:
    db.session.execute(
        sa.update(DocumentBatch)
        .where(DocumentBatch.id == batch_id, DocumentBatch.status != READY)
        .values(status=FAILED, error=error[:500], finished_at=utcnow())
    )
    db.session.commit()


def forget_expired() -> int:
    """Delete batches (and their files) older than DOCUMENT_BATCH_KEEP_HOURS; how many.
    One DELETE by id: two jobs forgetting the same batches at once do no harm."""
    hours = current_app.config["DOCUMENT_BATCH_KEEP_HOURS"]
    old = db.session.execute(
        sa.select(DocumentBatch.id, DocumentBatch.token).where(
            DocumentBatch.created_at < utcnow() - timedelta(hours=hours)
        )
    ).all()
    for row in old:
        batch_files.delete(row.token)
    if old:
        db.session.execute(
            sa.delete(DocumentBatch).where(DocumentBatch.id.in_([row.id for row in old]))
        )
    db.session.commit()
    return len(old)


def _visible_to(user):
    """Batches `user` may open: their own, those of staff with their role, and for the
    owner (who may do all the warehouse does) every one."""
    if user.role == roles.OWNER:
        return sa.true()
    return sa.or_(DocumentBatch.user_id == user.id, DocumentBatch.role == user.role)


def batch_for(token: str, user) -> DocumentBatch | None:
    """The batch with this token if `user` may see it; None otherwise, as for a token
    that does not exist."""
    if not token or len(token) > MAX_TOKEN:
        return None
    return db.session.scalar(
        sa.select(DocumentBatch).where(DocumentBatch.token == token, _visible_to(user))
    )


def recent_batches(user, limit: int = 10) -> list[DocumentBatch]:
    """The batches `user` may see, newest first (the shipments page lists them)."""
    return list(
        db.session.scalars(
            sa.select(DocumentBatch)
            .where(_visible_to(user))
            .order_by(DocumentBatch.created_at.desc(), DocumentBatch.id.desc())
            .limit(limit)
        )
    )
