"""`flask serve`, what `make run` starts, run as a user runs it (the development
environment, the instance folder, no test settings): it serves the store and does its
chores by itself. An order left unpaid past its payment window gives its stock back to the
paid order waiting for it, and the mail its customers were promised leaves, with no cron
line and no other service."""

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
import sqlalchemy as sa

from shop import PROJECT_ROOT
from shop.orders.models import Order
from shop.orders.status import EXPIRED
from tests.integration.test_outbox import free_port
from tests.integration.test_production_commands import fill, upgraded_store

# Long enough for a loaded CI machine to start two Python processes and run one tick.
WAIT_SECONDS = 90


@pytest.fixture
def store(database, tmp_path, worker_name):
    return upgraded_store(database, tmp_path, worker_name)


def test_make_run_serves_the_store_and_expires_an_unpaid_order_by_itself(
    store, database, tmp_path, pg_state
):
    numbers = fill(store, database, tmp_path, pg_state)
    port = free_port()
    env = dict(store.env, STORE_ENV="development")
    del env["STORE_BASE_URL"]  # as `make run`: http://127.0.0.1:5000 by default
    server = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "shop", "serve", "--port", str(port)],
        env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert _page(port) == 200
        assert _wait_for(lambda: _status(store, numbers["slow"]) == EXPIRED), _output(server)
        # The stove the expired order held goes at once to the paid order waiting for it
        # (the expiry chore serves the backorders after it), whose customer is told it is
        # in and ships soon: within a minute, not at the next 5-minute backorder run.
        assert _wait_for(lambda: _on_its_way(store, numbers["keen"])), _output(server)
    finally:
        with contextlib.suppress(ProcessLookupError):  # one that died is reported above
            os.killpg(server.pid, signal.SIGINT)  # Ctrl-C in the terminal: the whole group
        server.wait(timeout=60)
    subjects = [m["Subject"] for m in store.emails()]
    # The confirmations queued while the store was off left too, each once.
    confirmations = [s for s in subjects if s.endswith("confirmed")]
    assert len(confirmations) == len(set(confirmations)) == 2, subjects


def _on_its_way(store, number: str) -> bool:
    return any(number in m["Subject"] and "ships soon" in m["Subject"] for m in store.emails())


def _page(port: int) -> int:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                return response.status
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _status(store, number: str) -> str:
    url = store.url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        status = conn.scalar(sa.select(Order.__table__.c.status).where(Order.number == number))
    engine.dispose()
    return status


def _wait_for(condition, seconds: float = WAIT_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def _output(server) -> str:
    os.killpg(server.pid, signal.SIGINT)
    out, _ = server.communicate(timeout=60)
    return out.decode(errors="replace")[-3000:]
