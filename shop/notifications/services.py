"""Writing emails to the outbox, inside the transaction that causes them."""

from flask import render_template

from shop.extensions import db
from shop.notifications.models import OutboxMessage

OUTBOX_FLAG = "outbox_has_new_mail"


def queue_email(*, to: str, subject: str, kind: str, template: str, **context) -> OutboxMessage:
    """Render email/<template>.txt (and .html) and add it to the outbox.

    Nothing is sent here: delivery happens after the transaction commits.
    """
    text = render_template(f"email/{template}.txt", subject=subject, **context)
    html = render_template(f"email/{template}.html", subject=subject, **context)
    message = OutboxMessage(
        to_address=to, subject=subject, kind=kind, body_text=text, body_html=html
    )
    db.session.add(message)
    db.session.info[OUTBOX_FLAG] = True
    return message
