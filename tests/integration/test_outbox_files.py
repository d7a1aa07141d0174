"""Without SMTP_URL, emails are written as .eml files under instance/mail/."""

import email
from pathlib import Path

import sqlalchemy as sa

from shop.extensions import db
from shop.notifications.models import SENT, OutboxMessage


def test_reset_email_is_written_as_an_eml_file_after_the_request(app, client, customer):
    client.post("/account/forgot-password", data={"email": customer.email})
    # Delivered by the job the request's commit queued (run at once in the tests).
    files = list((Path(app.instance_path) / "mail").glob("*.eml"))
    assert len(files) == 1
    message = email.message_from_bytes(files[0].read_bytes())
    assert message["To"] == customer.email
    assert message["Subject"] == "Reset your password"
    assert db.session.scalar(sa.select(OutboxMessage.status)) == SENT
