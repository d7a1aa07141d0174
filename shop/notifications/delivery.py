"""Delivering the outbox: .eml files under instance/mail/, or SMTP when SMTP_URL is set.

Each message is claimed exactly once: the claim takes the next due message
(PostgreSQL skips rows another worker is claiming: FOR UPDATE SKIP LOCKED;
SQLite's writers queue) and marks it "sending" with a lease; nobody else takes
it while the lease runs. Nothing is locked while the mail server answers. A
send that succeeded is marked sent and never sent again; a failure is
recorded and retried later with a growing delay, never lost. Only when a
deliverer dies between handing the mail over and recording it (a crash, a
kill) is the message sent again, once its lease has run out: at-least-once in
that case alone, with the same Message-ID so mail clients can tell.
"""

import smtplib
import time
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import sqlalchemy as sa
from flask import current_app

from shop import locks
from shop.db import read_only, utcnow
from shop.extensions import db
from shop.notifications.attachments import content_of
from shop.notifications.models import FAILED, PENDING, SENT, OutboxMessage
from shop.private_files import private_folder, write_private

SENDING = "sending"  # claimed by a deliverer until its lease (next_attempt_at) ends
# Far longer than one send can take (the SMTP timeout is 20 s), so a lease only
# runs out when its deliverer died.
CLAIM_LEASE = timedelta(minutes=10)
RECORD_ATTEMPTS = 5  # tries at recording a sent mail (0.2 s, 0.4 s, ... apart)


def build_email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message_id_of(message)
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(
            content_of(attachment),
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return email


def message_id_of(message: OutboxMessage) -> str:
    """The same Message-ID on every attempt, so a copy sent twice after a crash is one mail."""
    domain = parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2] or "localhost"
    return f"<outbox.{message.id}.{message.created_at:%Y%m%d%H%M%S%f}@{domain}>"


def deliver_pending(limit: int = 100) -> tuple[int, int]:
    """Try every due message once. Returns (sent, failed) counts."""
    sent = failed = 0
    for _ in range(limit):
        message_id = _claim_next()
        if message_id is None:
            break
        if _deliver(message_id):
            sent += 1
        else:
            failed += 1
    return sent, failed


def _due(now):
    """Pending and due, or "sending" with a lease that ran out (its deliverer died)."""
    return sa.and_(
        OutboxMessage.status.in_([PENDING, SENDING]), OutboxMessage.next_attempt_at <= now
    )


def _claim_next() -> int | None:
    """Take the next due message for this worker alone, in a transaction of its own."""
    now = utcnow()
    message_id = locks.claim_outbox_message(_due(now))
    if message_id is not None:
        # While "sending", next_attempt_at is the end of the lease.
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status=SENDING, attempts=OutboxMessage.attempts + 1,
                    next_attempt_at=now + CLAIM_LEASE)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    db.session.commit()
    return message_id


def _deliver(message_id: int) -> bool:
    """Send one claimed message and record the outcome; True when it went out."""
    try:
        # Drawing the attachments (an invoice's PDF) only reads: on SQLite it must not
        # hold the write lock the shop's pages need.
        with read_only():
            message = db.session.get(OutboxMessage, message_id, populate_existing=True)
            email = build_email(message)
            db.session.commit()  # end the read: nothing stays locked while the server answers
        _send(email)
    except Exception as exc:  # a transport error, or the database while reading: try later
        _record_failure(message_id, exc)
        return False
    _record_sent(message_id)
    return True


def _record_sent(message_id: int) -> None:
    """The mail has left: record it, again on a fresh connection when the database drops
    this one (a restart, a failover), or the message would go out a second time when
    its lease ends."""
    for attempt in range(RECORD_ATTEMPTS):
        try:
            db.session.rollback()
            db.session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(status=SENT, sent_at=utcnow(), last_error=None)
            )
            db.session.commit()
            return
        except sa.exc.SQLAlchemyError:
            db.session.rollback()
            time.sleep(0.2 * 2**attempt)
    current_app.logger.error(
        "email %s was sent but could not be recorded as sent: it goes again when its "
        "lease ends (same Message-ID)",
        message_id,
    )


def _record_failure(message_id: int, exc: Exception) -> None:
    """Keep the mail for a later try, with a growing delay (failed after too many). When
    the database cannot be reached either, the claim's lease ends the wait."""
    try:
        db.session.rollback()
        message = db.session.get(OutboxMessage, message_id, populate_existing=True)
        current_app.logger.warning(
            "email %s to %s not delivered: %s", message.id, message.to_address, exc
        )
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
            message.status = FAILED
        else:
            message.status = PENDING
            message.next_attempt_at = utcnow() + timedelta(minutes=2**message.attempts)
        db.session.commit()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception(
            "email %s not delivered (%s), and its failure could not be recorded: it is "
            "tried again when its lease ends",
            message_id,
            exc,
        )


def _send(email: EmailMessage) -> None:
    url = current_app.config.get("SMTP_URL")
    if url:
        _send_smtp(email, url)
    else:
        _write_eml(email)


def _write_eml(email: EmailMessage) -> None:
    folder = private_folder(Path(current_app.instance_path) / "mail")
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    msgid = email["Message-ID"].strip("<>").split("@")[0]
    write_private(folder / f"{stamp}-{msgid}.eml", email.as_bytes())


def _send_smtp(email: EmailMessage, url: str) -> None:
    parts = urlsplit(url)
    options = parse_qs(parts.query)
    secure = parts.scheme == "smtps"
    port = parts.port or (465 if secure else 25)
    smtp_class = smtplib.SMTP_SSL if secure else smtplib.SMTP
    with smtp_class(parts.hostname, port, timeout=20) as smtp:
        if options.get("starttls", ["0"])[0] in ("1", "true", "yes"):
            smtp.starttls()
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(email)
