"""Delivering the outbox: .eml files under instance/mail/, or SMTP when SMTP_URL is set.

A message is claimed with a guarded UPDATE so two workers never send it twice;
a failure is recorded and retried later with a growing delay, never lost.
"""

import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context
from sqlalchemy.orm import Session

from shop.db import utcnow
from shop.extensions import db
from shop.notifications.attachments import content_of
from shop.notifications.models import FAILED, PENDING, SENT, OutboxMessage
from shop.notifications.services import OUTBOX_FLAG

SENDING = "sending"
STALE_CLAIM = timedelta(minutes=10)


def build_email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(idstring=f"outbox{message.id}")
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


def deliver_pending(limit: int = 100) -> tuple[int, int]:
    """Try every due message once. Returns (sent, failed) counts."""
    sent = failed = 0
    for message_id in _due_ids(limit):
        message = _claim(message_id)
        if message is None:
            continue  # another worker has it
        try:
            _send(build_email(message))
        except Exception as exc:  # any transport error: keep the mail, try later
            _record_failure(message, exc)
            failed += 1
        else:
            message.status, message.sent_at, message.last_error = SENT, utcnow(), None
            sent += 1
        db.session.commit()
    return sent, failed


def _due_ids(limit: int) -> list[int]:
    now = utcnow()
    due = sa.or_(
        sa.and_(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now),
        # a worker that died mid-send leaves a claim behind; take it back after a while
        sa.and_(
            OutboxMessage.status == SENDING, OutboxMessage.next_attempt_at <= now - STALE_CLAIM
        ),
    )
    query = sa.select(OutboxMessage.id).where(due).order_by(OutboxMessage.id).limit(limit)
    return list(db.session.scalars(query))


def _claim(message_id: int) -> OutboxMessage | None:
    now = utcnow()
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .where(OutboxMessage.status.in_([PENDING, SENDING]))
        .where(OutboxMessage.next_attempt_at <= now)
        .values(status=SENDING, attempts=OutboxMessage.attempts + 1, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        return None
    return db.session.get(OutboxMessage, message_id, populate_existing=True)


def _record_failure(message: OutboxMessage, exc: Exception) -> None:
    current_app.logger.warning(
        "email %s to %s not delivered: %s", message.id, message.to_address, exc
    )
    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        message.status = FAILED
        return
    message.status = PENDING
    message.next_attempt_at = utcnow() + timedelta(minutes=2**message.attempts)


def _send(email: EmailMessage) -> None:
    url = current_app.config.get("SMTP_URL")
    if url:
        _send_smtp(email, url)
    else:
        _write_eml(email)


def _write_eml(email: EmailMessage) -> None:
    folder = Path(current_app.instance_path) / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    msgid = email["Message-ID"].strip("<>").split("@")[0]
    (folder / f"{stamp}-{msgid}.eml").write_bytes(email.as_bytes())


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


def register_outbox_delivery(app: Flask) -> None:
    """In the embedded setup, mail written by a request is delivered right after it.

    Production turns this off and runs `flask outbox deliver` from a worker.
    """

    if not sa.event.contains(Session, "after_commit", _remember_new_mail):
        sa.event.listen(Session, "after_commit", _remember_new_mail)

    @app.after_request
    def _deliver_after_response(response):
        if g.pop("outbox_has_new_mail", False) and app.config["OUTBOX_DELIVER_AFTER_REQUEST"]:
            response.call_on_close(lambda: _deliver_in_context(app))
        return response


def _remember_new_mail(session) -> None:
    if session.info.pop(OUTBOX_FLAG, False) and has_request_context():
        g.outbox_has_new_mail = True


def _deliver_in_context(app: Flask) -> None:
    with app.app_context():
        try:
            deliver_pending()
        except Exception:  # delivery must never break a page; the CLI retries later
            app.logger.exception("outbox delivery failed")
        finally:
            db.session.remove()
