"""No answer's timing tells whether an email has an account.

Measured with the production Argon2 parameters (not the cheap ones of TestConfig),
as the median of several runs, known and unknown taken in turn so that a slow
moment of the machine hits both. The tolerance is generous (a shared machine is
noisy) but far below the differences there were: login 0.74 s vs 1.49 s,
registration 48 ms vs 762 ms.
"""

import statistics
import sys
import time

import pytest

from shop.config import Config
from tests.conftest import log_in
from tests.factories import UserFactory

RUNS = 7


@pytest.fixture
def app_config() -> dict:
    return {
        "PASSWORD_HASH_TIME_COST": Config.PASSWORD_HASH_TIME_COST,
        "PASSWORD_HASH_MEMORY_KIB": Config.PASSWORD_HASH_MEMORY_KIB,
        "PASSWORD_HASH_PARALLELISM": Config.PASSWORD_HASH_PARALLELISM,
        "ACCOUNT_LOCKOUT_AFTER": 1000,  # measure the work, not the lockout
        "OUTBOX_DELIVER_AFTER_REQUEST": False,  # as in production: a worker sends mail
    }


@pytest.fixture
def known(app):
    from shop.accounts.passwords import hash_password

    return UserFactory(email="carla@example.com", password_hash=hash_password("x" * 20))


def medians(app, known_request, unknown_request) -> tuple[float, float]:
    """Median seconds of each request over RUNS runs, taken in turn."""
    times = {"known": [], "unknown": []}
    requests = {"known": known_request, "unknown": unknown_request}
    known_request(app.test_client(), 0)  # warm up: templates, the dummy hash
    unknown_request(app.test_client(), 0)
    for run in range(1, RUNS + 1):
        order = ("known", "unknown") if run % 2 else ("unknown", "known")
        for kind in order:
            client = app.test_client()
            started = time.perf_counter()
            requests[kind](client, run)
            times[kind].append(time.perf_counter() - started)
    return statistics.median(times["known"]), statistics.median(times["unknown"])


def report(what: str, known_s: float, unknown_s: float, capsys) -> None:
    with capsys.disabled():
        sys.stderr.write(
            f"\n{what}: known {known_s * 1000:.1f} ms, unknown {unknown_s * 1000:.1f} ms\n"
        )


def assert_close(known_s: float, unknown_s: float, *, floor: float) -> None:
    # Within 20% of the slower one, or `floor` seconds for answers too quick for a ratio.
    tolerance = max(0.2 * max(known_s, unknown_s), floor)
    assert abs(known_s - unknown_s) <= tolerance, (known_s, unknown_s)


def test_login_takes_as_long_for_an_unknown_email_as_for_a_wrong_password(app, known, capsys):
    known_s, unknown_s = medians(
        app,
        lambda client, run: log_in(client, known.email, f"wrong password {run}"),
        lambda client, run: log_in(client, f"nobody{run}@example.com", f"wrong password {run}"),
    )
    report("login", known_s, unknown_s, capsys)
    assert known_s > 0.05  # really the production parameters
    assert_close(known_s, unknown_s, floor=0.05)


def test_registration_takes_as_long_for_a_taken_email_as_for_a_new_one(app, known, capsys):
    def register(email):
        return lambda client, run: client.post(
            "/account/register", data={"name": "Rosa", "email": email.format(run=run)}
        )

    known_s, unknown_s = medians(app, register(known.email), register("new{run}@example.com"))
    report("registration", known_s, unknown_s, capsys)
    assert_close(known_s, unknown_s, floor=0.015)


def test_reset_request_takes_as_long_for_an_unknown_email(app, known, capsys):
    def ask(email):
        return lambda client, run: client.post(
            "/account/forgot-password", data={"email": email.format(run=run)}
        )

    known_s, unknown_s = medians(app, ask(known.email), ask("nobody{run}@example.com"))
    report("password reset", known_s, unknown_s, capsys)
    assert_close(known_s, unknown_s, floor=0.015)
