"""The commands README.md tells the owner to run from cron, run as the owner runs them:
`flask --app shop ...` processes with the production environment (STORE_ENV, SECRET_KEY,
DATABASE_URL, STORE_BASE_URL; no SERVER_NAME) on a database made by `flask db upgrade`,
holding work for every one of them. And `flask seed-demo`, which must not run there.
"""

import email
import os
import re
import subprocess
import sys
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
import sqlalchemy as sa

from shop import PROJECT_ROOT
from shop.accounts.models import User
from shop.accounts.passwords import MIN_LENGTH
from shop.db import utcnow
from shop.extensions import db
from shop.orders.models import Order
from tests.conftest import ensure_schema, make_app, pg_url_for_worker
from tests.factories import UserFactory
from tests.integration.checkout_helpers import seed_reference_data
from tests.integration.order_helpers import buy
from tests.integration.purchasing_helpers import backordered_item

PUBLIC = "https://shop.example.com/store"
LINK = re.compile(r"""https?://[^\s"'<>]+""")
CRON_COMMANDS = [
    "outbox deliver",
    "orders expire",
    "backorders allocate",
    "refunds retry",
    "forecasts refresh",
    "backorders report",
    "reorder report",
    "payouts demo",
]


def readme_cron_commands() -> list[str]:
    """The `flask --app shop ...` lines of README's "Running in production" block of the
    chores run by hand (or from cron where no worker runs)."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme[readme.index("## Running in production") :]
    by_hand = section[section.index("Each chore can also be run by hand") :]
    start = by_hand.index("```sh")
    block = by_hand[start : by_hand.index("```", start + 5)]
    return re.findall(r"^flask --app shop (.+?)\s*(?:#.*)?$", block, re.M)


class Store:
    """A production install: its environment, instance folder and database."""

    def __init__(self, tmp_path: Path, url: str):
        self.instance = tmp_path / "instance"
        self.url = url
        self.env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "STORE_ENV": "production",
            "SECRET_KEY": "s" * 64,
            "DATABASE_URL": url,
            "STORE_BASE_URL": PUBLIC,
            "STORE_INSTANCE_PATH": str(self.instance),
        }

    def flask(self, command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "shop", *command.split()],
            env=self.env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    def emails(self) -> list[email.message.EmailMessage]:
        files = sorted((self.instance / "mail").glob("*.eml"))
        return [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]


@pytest.fixture
def store(database, tmp_path, worker_name) -> Store:
    return upgraded_store(database, tmp_path, worker_name)


def upgraded_store(database, tmp_path, worker_name) -> Store:
    """An empty database brought to the current schema by `flask db upgrade`."""
    if database == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        schema = f"{worker_name}_production"
        url = pg_url_for_worker(schema)
        ensure_schema(url, schema)
    store = Store(tmp_path, url)
    upgraded = store.flask("db upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    return store


def fill(store: Store, database, tmp_path, pg_state) -> dict:
    """Work for every command: an unpaid order past its time holding the only stove, a
    paid order waiting for it, another waiting on, the stove below its reorder point, and
    the owner and warehouse to email. Placed through checkout by an app on that database,
    whose jobs (the confirmations' delivery) wait in the store's own queue file for a
    worker, as they would with the worker stopped."""
    app = make_app(
        database, tmp_path, pg_state, SQLALCHEMY_DATABASE_URI=store.url, BASE_URL=PUBLIC,
        INSTANCE_PATH=str(store.instance), JOBS_BACKEND="sqlite",
    )  # fmt: skip
    with app.app_context():
        UserFactory(role="owner", email="owner@shop.example.com")
        UserFactory(role="warehouse", email="dock@shop.example.com")
        stove = backordered_item(seed_reference_data(), on_hand=1)
        stove.stock.reorder_point = 5
        slow = buy(app, [(stove, 1)], email="slow@example.com", card=None)
        keen = buy(app, [(stove, 1)], email="keen@example.com")
        buy(app, [(stove, 2)], email="last@example.com")
        db.session.get(Order, slow.id).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        numbers = {"slow": slow.number, "keen": keen.number}
        db.session.remove()
        db.engine.dispose()
    return numbers


def test_the_readme_lists_the_cron_commands_this_test_runs():
    assert readme_cron_commands() == CRON_COMMANDS


def test_the_cron_commands_run_in_production_and_link_to_the_public_address(
    store, database, tmp_path, pg_state
):
    numbers = fill(store, database, tmp_path, pg_state)
    outputs = {}
    for command in CRON_COMMANDS:
        done = store.flask(command)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        outputs[command] = done.stdout
    assert outputs["outbox deliver"].strip() == "sent 2, failed 0"  # the two confirmations
    # The stove the expired order held goes at once to the paid order waiting for it.
    assert outputs["orders expire"].strip() == (
        f"expired 1 unpaid order: {numbers['slow']}; allocated stock to 1 order"
    )
    assert outputs["backorders allocate"].strip() == "allocated stock to 0 orders"
    assert outputs["refunds retry"].strip() == "refunded 0, processing 0, failed 0, postponed 0"
    assert outputs["backorders report"].startswith("1 backordered line, 2 units; emailed")
    assert outputs["reorder report"].startswith("1 variant to reorder")
    # Today's demo payments are paid out tomorrow, each day once.
    assert outputs["payouts demo"].startswith("paid out 0 days")

    assert store.flask("outbox deliver").stdout.strip() == "sent 5, failed 0"
    sent = store.emails()
    kinds = sorted(m["Subject"].split(":")[0].split(" ")[0] for m in sent)
    assert kinds == ["Backorders"] * 2 + ["Order"] * 3 + ["Reorder"] * 2
    assert any(numbers["keen"] in m["Subject"] and "ships soon" in m["Subject"] for m in sent)
    for message in sent:
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        links = LINK.findall(text) + LINK.findall(html)
        assert links, message["Subject"]
        assert all(link.startswith(PUBLIC + "/") for link in links), (message["Subject"], links)


def test_seed_demo_refuses_to_run_in_production(store):
    done = store.flask("seed-demo")
    assert done.returncode != 0
    assert "production" in done.stderr and "seed-demo" in done.stderr
    engine = sa.create_engine(
        store.url.replace("postgresql://", "postgresql+psycopg://", 1), poolclass=sa.pool.NullPool
    )
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(User.__table__)) == 0
    engine.dispose()


def test_the_first_owner_of_a_production_store_is_made_by_a_command(store):
    weak = store.flask("accounts create-owner boss@shop.example --password short")
    assert weak.returncode != 0
    assert f"password: Use at least {MIN_LENGTH} characters" in weak.stderr

    made = store.flask(
        "accounts create-owner Boss@Shop.example --name Bea --password tall-cedar-canoe-portage-41"
    )
    assert made.returncode == 0, made.stderr
    assert "Owner boss@shop.example created" in made.stdout
    again = store.flask(
        "accounts create-owner boss@shop.example --password tall-cedar-canoe-portage-41"
    )
    assert again.returncode != 0 and "already" in again.stderr
    engine = sa.create_engine(
        store.url.replace("postgresql://", "postgresql+psycopg://", 1), poolclass=sa.pool.NullPool
    )
    with engine.connect() as conn:
        rows = conn.execute(sa.select(User.__table__.c.email, User.__table__.c.role)).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("boss@shop.example", "owner")]
