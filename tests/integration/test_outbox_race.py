"""Every email leaves exactly once, even with several deliverers at the same moment.

Real `flask outbox deliver` processes and real threads, against a real SMTP
server (aiosmtpd) on 127.0.0.1, on SQLite and PostgreSQL alike.
"""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine

from shop.db import utcnow
from shop.extensions import db
from shop.notifications.delivery import CLAIM_LEASE, SENDING, deliver_pending
from shop.notifications.models import PENDING, SENT, OutboxMessage
from tests.integration.test_outbox import Inbox, free_port, mail_server_on

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EMAILS = 60


class SlowInbox(Inbox):
    """A mail server that takes a little while per message, as real ones do; while
    `stalled` it holds every message without answering (and keeps none of them)."""

    def __init__(self, delay: float = 0.05):
        super().__init__()
        self.delay = delay
        self.stalled = False

    async def handle_DATA(self, server, session, envelope):
        if self.stalled:
            while self.stalled:
                await asyncio.sleep(0.05)
            return "451 try again later"
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def mail_server(smtp_port):
    with mail_server_on(smtp_port, SlowInbox()) as inbox:
        yield inbox
        inbox.stalled = False  # let a held message go before the server stops


@pytest.fixture
def app_config(smtp_port):
    return {"SMTP_URL": f"smtp://127.0.0.1:{smtp_port}"}


def write_emails(count: int) -> list[str]:
    subjects = [f"Your order {n:03d}" for n in range(count)]
    for subject in subjects:
        db.session.add(
            OutboxMessage(
                to_address="carla@example.com", subject=subject, kind="test", body_text=subject
            )
        )
    db.session.commit()
    return subjects


def start_deliverer(app) -> subprocess.Popen:
    """`flask outbox deliver` in a process of its own, on the test's database and mail server."""
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SMTP_URL": app.config["SMTP_URL"],
        "STORE_INSTANCE_PATH": app.instance_path,
        "SECRET_KEY": "x" * 40,
        "STORE_ENV": "development",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "shop", "outbox", "deliver"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def statuses() -> Counter:
    """What the other processes wrote, read in a transaction ended at once (on SQLite an
    open one would hold the write lock they need)."""
    db.session.rollback()
    found = Counter(db.session.scalars(sa.select(OutboxMessage.status)))
    db.session.rollback()
    return found


def duplicates(inbox: Inbox) -> int:
    return sum(n - 1 for n in Counter(m["Subject"] for m in inbox.messages).values())


def assert_each_received_once(inbox: Inbox, subjects: list[str]) -> None:
    received = Counter(m["Subject"] for m in inbox.messages)
    assert duplicates(inbox) == 0, f"{duplicates(inbox)} of {len(subjects)} emails sent twice"
    assert sorted(received) == sorted(subjects)  # none lost
    assert statuses() == {SENT: len(subjects)}


def test_two_deliver_commands_at_once_send_each_email_exactly_once(
    app, mail_server, record_property
):
    subjects = write_emails(EMAILS)
    workers = [start_deliverer(app), start_deliverer(app)]  # the same moment
    outputs = [w.communicate(timeout=180) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    record_property("duplicates", duplicates(mail_server))
    assert_each_received_once(mail_server, subjects)
    sent = [int(out.split("sent ")[1].split(",")[0]) for out, _ in outputs]
    record_property("sent_by_each", sent)
    assert sum(sent) == EMAILS
    assert all(n > 0 for n in sent), f"the two commands did not overlap: {sent}"


def test_many_threads_delivering_at_once_send_each_email_exactly_once(app, mail_server):
    """The threaded server delivers after each request that wrote mail: many at a time."""
    subjects = write_emails(40)
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    results, errors = [], []

    def deliver():
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results.append(deliver_pending())
            except Exception as exc:  # shown by the assertion below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=deliver) for _ in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert_each_received_once(mail_server, subjects)
    assert sum(sent for sent, _ in results) == 40


def wait_for_claim(timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while statuses()[SENDING] != 1:
        assert time.monotonic() < deadline, "the deliverer never claimed the email"
        time.sleep(0.05)


def test_an_email_left_sending_by_a_crashed_deliverer_is_retried_after_the_lease(app, mail_server):
    [subject] = write_emails(1)
    mail_server.stalled = True
    worker = start_deliverer(app)
    wait_for_claim()
    worker.send_signal(signal.SIGKILL)  # dies mid-send: the claim stays behind
    worker.wait(timeout=30)
    mail_server.stalled = False

    assert deliver_pending() == (0, 0)  # its lease still runs: maybe it is being sent
    with time_machine.travel(utcnow() + CLAIM_LEASE - timedelta(minutes=1)):
        assert deliver_pending() == (0, 0)
    assert statuses() == {SENDING: 1}
    with time_machine.travel(utcnow() + CLAIM_LEASE + timedelta(minutes=1)):
        assert deliver_pending() == (1, 0)
    assert [m["Subject"] for m in mail_server.messages] == [subject]
    assert statuses() == {SENT: 1}
    assert db.session.scalar(sa.select(OutboxMessage.attempts)) == 2


def test_a_pending_email_not_yet_due_is_left_alone(app, mail_server):
    write_emails(1)
    message = db.session.scalar(sa.select(OutboxMessage))
    message.next_attempt_at = utcnow() + timedelta(minutes=5)
    db.session.commit()
    assert deliver_pending() == (0, 0)
    assert statuses() == {PENDING: 1}
