"""No answer's timing tells whether an email has an account.

Measured with the production Argon2 parameters (not the cheap ones of TestConfig),
as the median of several runs, known and unknown taken in turn so that a slow
moment of the machine hits both; the difference compared is the median of each
run's difference (a spike of load in one run does not decide). The tolerance is
generous (a shared machine is noisy) but far below the differences there were:
login 0.74 s vs 1.49 s, registration 48 ms vs 762 ms.
"""

import statistics
import sys
import time

import pytest

from shop.config import Config
from tests.conftest import log_in
from tests.factories import UserFactory

RUNS = 9  # Argon2 answers: a few runs are enough
QUICK_RUNS = 41  # answers of a few ms, where one moment of load weighs much more


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


def measure(app, known_request, unknown_request, runs=RUNS) -> tuple[float, float, float]:
    """Median seconds of each request over `runs` runs taken in turn, and the median
    of the runs' differences (known minus unknown)."""
    times = {"known": [], "unknown": []}
    requests = {"known": known_request, "unknown": unknown_request}
    known_request(app.test_client(), 0)  # warm up: templates, the dummy hash
    unknown_request(app.test_client(), 0)
    for run in range(1, runs + 1):
        order = ("known", "unknown") if run % 2 else ("unknown", "known")
        for kind in order:
            client = app.test_client()
            started = time.perf_counter()
            requests[kind](client, run)
            times[kind].append(time.perf_counter() - started)
    differences = [k - u for k, u in zip(times["known"], times["unknown"], strict=True)]
    return (
        statistics.median(times["known"]),
        statistics.median(times["unknown"]),
        statistics.median(differences),
    )


def assert_alike(what: str, figures: tuple[float, float, float], capsys, *, floor: float):
    """Report the figures; the difference within 30% of the slower answer, or `floor`
    seconds for answers too quick for a ratio."""
    known_s, unknown_s, difference = figures
    with capsys.disabled():
        sys.stderr.write(
            f"\n{what}: known {known_s * 1000:.1f} ms, unknown {unknown_s * 1000:.1f} ms, "
            f"median difference {difference * 1000:+.1f} ms\n"
        )
    tolerance = max(0.3 * max(known_s, unknown_s), floor)
    assert abs(difference) <= tolerance, figures


def test_login_takes_as_long_for_an_unknown_email_as_for_a_wrong_password(app, known, capsys):
    figures = measure(
        app,
        lambda client, run: log_in(client, known.email, f"wrong password {run}"),
        lambda client, run: log_in(client, f"nobody{run}@example.com", f"wrong password {run}"),
    )
    assert figures[0] > 0.05  # really the production parameters
    assert_alike("login", figures, capsys, floor=0.05)


def test_registration_takes_as_long_for_a_taken_email_as_for_a_new_one(app, known, capsys):
    def register(email):
        return lambda client, run: client.post(
            "/account/register", data={"name": "Rosa", "email": email.format(run=run)}
        )

    figures = measure(app, register(known.email), register("new{run}@example.com"), QUICK_RUNS)
    assert_alike("registration", figures, capsys, floor=0.015)


def test_reset_request_takes_as_long_for_an_unknown_email(app, known, capsys):
    def ask(email):
        return lambda client, run: client.post(
            "/account/forgot-password", data={"email": email.format(run=run)}
        )

    figures = measure(app, ask(known.email), ask("nobody{run}@example.com"), QUICK_RUNS)
    assert_alike("password reset", figures, capsys, floor=0.015)
