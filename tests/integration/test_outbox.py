"""Emails leave through the outbox after commit; a mail server that is down loses nothing."""

import contextlib
import email
import socket
from datetime import timedelta
from email import policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from shop.db import utcnow
from shop.extensions import db
from shop.notifications.delivery import deliver_pending
from shop.notifications.models import FAILED, PENDING, SENT, OutboxMessage


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_port():
    return free_port()


@contextlib.contextmanager
def mail_server_on(port: int, inbox: "Inbox"):
    """A real SMTP server (aiosmtpd) on 127.0.0.1:port keeping what it receives in inbox."""
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_server(smtp_port):
    with mail_server_on(smtp_port, Inbox()) as inbox:
        yield inbox


@pytest.fixture
def app_config(smtp_port):
    # The jobs wait in the instance folder's queue for a worker that is not running, so
    # these tests deliver the outbox themselves, as `flask outbox deliver` does.
    return {"SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "JOBS_BACKEND": "sqlite"}


def ask_for_reset(client, customer):
    client.post("/account/forgot-password", data={"email": customer.email})
    return db.session.scalar(sa.select(OutboxMessage))


def test_reset_email_reaches_a_real_smtp_server(client, customer, smtp_server):
    ask_for_reset(client, customer)
    assert deliver_pending() == (1, 0)
    [received] = smtp_server.messages
    assert received["To"] == customer.email
    assert received["Subject"] == "Reset your password"
    text = received.get_body(preferencelist=("plain",)).get_content()
    assert "/account/reset-password/" in text
    assert received.get_body(preferencelist=("html",)) is not None
    assert db.session.scalar(sa.select(OutboxMessage.status)) == SENT


def test_mail_server_down_keeps_the_email_and_retries_later(client, customer, smtp_port):
    message = ask_for_reset(client, customer)
    assert deliver_pending() == (0, 1)
    db.session.refresh(message)
    assert message.status == PENDING
    assert message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at > utcnow()

    # The server comes back; once the retry is due the email goes out.
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        assert deliver_pending() == (0, 0)  # not due yet
        message.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert deliver_pending() == (1, 0)
    finally:
        controller.stop()
    assert [m["Subject"] for m in inbox.messages] == ["Reset your password"]
    db.session.refresh(message)
    assert (message.status, message.attempts, message.last_error) == (SENT, 2, None)


def test_after_too_many_failures_the_email_is_kept_as_failed(app, client, customer):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    message = ask_for_reset(client, customer)
    for _ in range(2):
        message.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        deliver_pending()
        db.session.refresh(message)
    assert message.status == FAILED
    assert message.attempts == 2


def test_a_sent_email_is_never_sent_twice(client, customer, smtp_server):
    ask_for_reset(client, customer)
    deliver_pending()
    deliver_pending()
    assert len(smtp_server.messages) == 1


def test_cli_delivers_the_outbox(app, client, customer, smtp_server):
    ask_for_reset(client, customer)
    result = app.test_cli_runner().invoke(args=["outbox", "deliver"])
    assert "sent 1, failed 0" in result.output
    assert len(smtp_server.messages) == 1
