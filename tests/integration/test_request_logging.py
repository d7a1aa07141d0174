"""Logs: a request id on every line of a request and in its response, one access line per
request (no query string), JSON in production, and gunicorn logging each request once."""

import io
import json
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from shop.extensions import db
from tests.conftest import log_in, make_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def lines():
    """What the store's handler writes, as a list of lines (read after the requests)."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "shop")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield lambda: stream.getvalue().splitlines()
    handler.setStream(previous)


def test_each_request_gets_an_id_in_its_header_and_on_its_lines(client, customer, lines):
    response = client.post("/account/login", data={"email": customer.email, "password": "no"})
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    mine = [line for line in lines() if f"[{request_id}]" in line]
    assert any("shop.security" in line and "login_failed" in line for line in mine)
    assert any("shop.access" in line and "POST /account/login 401" in line for line in mine)
    other = client.get("/").headers["X-Request-ID"]
    assert other != request_id


def test_a_sane_id_from_the_proxy_is_kept_and_a_strange_one_replaced(client):
    assert client.get("/", headers={"X-Request-ID": "lb-7f3a.42"}).headers["X-Request-ID"] == (
        "lb-7f3a.42"
    )
    for strange in ("x" * 129, "two words", 'quote"d', "a\tb", ""):
        sent = client.get("/", headers={"X-Request-ID": strange}).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", sent), strange


def test_the_access_line_has_no_query_string_and_says_who(client, customer, lines):
    client.get("/search?q=reset-token-abc123")
    client.get("/account/reset-password/secret-link-token-xyz")
    log_in(client, customer.email)
    client.get("/account/")
    access = [line for line in lines() if "shop.access" in line]
    assert any(re.search(r"GET /search 200 [\d.]+ms user=-", line) for line in access)
    assert not any("reset-token-abc123" in line for line in lines())
    assert any("GET /account/reset-password/<token> " in line for line in access)
    assert not any("secret-link-token-xyz" in line for line in lines())
    assert any("GET /account/ 200" in line and f"user={customer.id}" in line for line in access)


def test_json_lines_in_production_format(database, tmp_path, pg_state, lines):
    app = make_app(database, tmp_path, pg_state, LOG_FORMAT="json")
    with app.app_context():
        db.create_all()
        request_id = app.test_client().get("/cart/").headers["X-Request-ID"]
        db.session.remove()
    records = [json.loads(line) for line in lines()]
    (access,) = [r for r in records if r["logger"] == "shop.access"]
    assert access["request_id"] == request_id
    assert access["method"] == "GET" and access["path"] == "/cart/" and access["status"] == 200
    assert access["duration_ms"] >= 0 and access["user_id"] is None
    assert access["level"] == "INFO" and access["time"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SETUP = """
import sys
from shop import create_app
from shop.extensions import db
with create_app().app_context():
    db.create_all()
"""


def wait_until_answering(port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/robots.txt", timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_gunicorn_writes_each_request_once(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "STORE_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "STORE_BASE_URL": f"http://127.0.0.1:{port}",
        "STORE_INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "STORE_SESSION_COOKIE_SECURE": "false",
        "STORE_JOBS_BACKEND": "sqlite",
    }
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "-c", SETUP], env=env, cwd=ROOT, check=True, timeout=120)
    log = tmp_path / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}"]
    command += ["--error-logfile", "-", "shop:create_app()"]
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out)
        try:
            wait_until_answering(port)  # a request that timed out and was sent again
            # would be logged twice: only the one below carries the id counted.
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/cart/", headers={"X-Request-ID": "once-1"}
            )
            with urllib.request.urlopen(request, timeout=60) as response:
                assert response.headers["X-Request-ID"] == "once-1"
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    text = log.read_text()
    mine = [line for line in text.splitlines() if "once-1" in line]
    assert len(mine) == 1, text
    assert json.loads(mine[0])["path"] == "/cart/"
    # No gunicorn access line nor a second copy of the store's beside it.
    assert len([line for line in text.splitlines() if "GET /cart/" in line]) == 1, text
    assert any("GET /robots.txt" in line for line in text.splitlines()), text


def test_werkzeug_writes_each_request_once(app, lines):
    """flask serve / flask run: werkzeug's own request line is left out, the store's kept."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.server_port}/cart/",
            headers={"X-Request-ID": "werkzeug-once", "Host": "shop.test"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
    finally:
        server.shutdown()
        serving.join(timeout=30)
    mine = [line for line in lines() if "/cart/" in line]
    assert len(mine) == 1, mine
    assert "[werkzeug-once]" in mine[0] and "shop.access" in mine[0]
