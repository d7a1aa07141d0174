"""The instance folder holds customers' emails, the database and the secret key: only the
store's own user may read it (folders 0700, files 0600), whatever the umask."""

import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from shop import create_app
from shop.extensions import db
from shop.notifications.delivery import deliver_pending
from shop.notifications.models import OutboxMessage


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask():
    """The umask most systems give a user (files 0644 unless the store says otherwise)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def embedded_app(tmp_path, usual_umask):
    """The embedded default: no database URL, so the SQLite file lives in the instance."""
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "SERVER_NAME": "shop.test"})
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_the_database_the_mail_and_the_secret_key_are_private(embedded_app):
    instance = Path(embedded_app.instance_path)
    db.session.add(
        OutboxMessage(to_address="carla@example.com", subject="Your order", kind="test",
                      body_text="Your order MP10001 is on its way to 1 King St.")
    )  # fmt: skip
    db.session.commit()
    assert deliver_pending() == (1, 0)
    with db.engine.connect() as conn:  # the WAL files exist while a connection is open
        conn.execute(sa.text("SELECT 1"))
        files = ["store.db", "store.db-wal", "store.db-shm", "secret_key"]
        assert {name: oct(mode(instance / name)) for name in files} == dict.fromkeys(
            files, oct(0o600)
        )
    [eml] = (instance / "mail").glob("*.eml")
    assert oct(mode(eml)) == oct(0o600)
    assert oct(mode(instance / "mail")) == oct(0o700)
    assert oct(mode(instance)) == oct(0o700)


def test_an_instance_folder_made_before_is_made_private(tmp_path, usual_umask):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    (instance / "store.db").touch(mode=0o644)
    app = create_app({"INSTANCE_PATH": str(instance), "SERVER_NAME": "shop.test"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    assert oct(mode(instance)) == oct(0o700)
    assert oct(mode(instance / "store.db")) == oct(0o600)
