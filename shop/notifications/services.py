"""Writing emails to the outbox, inside the transaction that causes them."""

from flask import render_template

from shop import jobs
from shop.extensions import db
from shop.notifications.attachments import Later
from shop.notifications.models import OutboxAttachment, OutboxMessage


def queue_email(
    *,
    to: str,
    subject: str,
    kind: str,
    template: str | None = None,
    attachments: list[tuple[str, str, "bytes | Later"]] = (),
    **context,
) -> OutboxMessage:
    """Render email/<template>.txt (and .html) and add it to the outbox.

    The template is named after the kind of email unless another is given.

    attachments are (filename, content type, data) files sent with it, e.g.
    ("INV-2026-000001.pdf", "application/pdf", b"%PDF..."), kept with the message;
    data may be a Later(kind, key) to make the file at delivery instead (see
    notifications.attachments). Nothing is sent here: a job delivers it once the
    transaction commits (the worker's minute run tries again what could not go).
    """
    text, html = render_email(subject=subject, template=template or kind, **context)
    message = OutboxMessage(
        to_address=to, subject=subject, kind=kind, body_text=text, body_html=html
    )
    message.attachments = [
        OutboxAttachment(
            filename=filename,
            content_type=content_type,
            data=None if isinstance(data, Later) else data,
            made_by=data.spec if isinstance(data, Later) else None,
        )
        for filename, content_type, data in attachments
    ]
    db.session.add(message)
    jobs.enqueue_after_commit("outbox.deliver")
    return message


def render_email(*, subject: str, template: str, **context) -> tuple[str, str]:
    """The text and HTML bodies of email/<template>.txt and .html."""
    text = render_template(f"email/{template}.txt", subject=subject, **context)
    html = render_template(f"email/{template}.html", subject=subject, **context)
    return text, html
