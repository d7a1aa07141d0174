"""Does any answer's timing tell whether an email has an account?

    .venv/bin/python -m bench.account_timing            # about a minute
    .venv/bin/python -m bench.account_timing --runs 21  # more runs, steadier medians

Login (a wrong password for a known email against an unknown email), registration
(a taken email against a new one) and a password-reset request (known against
unknown) are each asked in turn on a fresh SQLite store with the production Argon2
parameters (not the cheap ones of the tests), known and unknown alternating so that a
slow moment of the machine hits both. Printed per kind: the median time of each and
the median of the runs' differences. Before the change of issue 10: login 0.74 s
against 1.49 s, registration 48 ms against 762 ms.

This is a measurement, not a test: the suite proves the answers are the same (status,
page, emails written); this shows the time they take.
"""

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path

from shop import create_app
from shop.configuration.defaults import Config

PASSWORD = "a passphrase nobody would guess 42"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per kind (login)")
    parser.add_argument("--quick-runs", type=int, default=41, help="runs per kind (the rest)")
    args = parser.parse_args(argv)
    app = store_app(Path(tempfile.mkdtemp()))
    logging.getLogger("shop.security").setLevel(logging.WARNING)  # a line per attempt
    known = "carla@example.com"

    def log_in(email):
        return lambda client, run: client.post(
            "/account/login", data={"email": email.format(run=run), "password": f"no {run}"}
        )

    def register(email):
        return lambda client, run: client.post(
            "/account/register", data={"name": "Rosa", "email": email.format(run=run)}
        )

    def ask_reset(email):
        return lambda client, run: client.post(
            "/account/forgot-password", data={"email": email.format(run=run)}
        )

    print(f"{'answer':<16}{'known':>12}{'unknown':>12}{'median diff':>14}")
    kinds = (
        ("login", log_in, args.runs),
        ("registration", register, args.quick_runs),
        ("password reset", ask_reset, args.quick_runs),
    )
    for name, make, runs in kinds:
        known_s, unknown_s, diff = measure(app, make(known), make("nobody{run}@example.com"), runs)
        figures = f"{known_s * 1000:>9.1f} ms{unknown_s * 1000:>9.1f} ms{diff * 1000:>+11.1f} ms"
        print(f"{name:<16}{figures}")
    return 0


def store_app(folder: Path):
    """A store on a fresh SQLite file with the production password hashing and one customer."""
    from shop.accounts.services import create_user
    from shop.extensions import db

    app = create_app(
        {
            "INSTANCE_PATH": str(folder / "instance"),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'store.db'}",
            "TRUSTED_HOSTS": ["localhost"],
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_TIME_COST": Config.PASSWORD_HASH_TIME_COST,
            "PASSWORD_HASH_MEMORY_KIB": Config.PASSWORD_HASH_MEMORY_KIB,
            "PASSWORD_HASH_PARALLELISM": Config.PASSWORD_HASH_PARALLELISM,
            "ACCOUNT_LOCKOUT_AFTER": 100_000,  # measure the work, not the lockout
            "OUTBOX_DELIVER_AFTER_REQUEST": False,  # as in production: a worker sends mail
        }
    )
    with app.app_context():
        db.create_all()
        create_user(email="carla@example.com", name="Carla", password=PASSWORD)
        db.session.commit()
    return app


def measure(app, known_request, unknown_request, runs: int) -> tuple[float, float, float]:
    """Median seconds of each request over `runs` runs taken in turn, and the median of
    the runs' differences (known minus unknown)."""
    times = {"known": [], "unknown": []}
    requests = {"known": known_request, "unknown": unknown_request}
    for kind in ("known", "unknown"):  # warm up: templates, the dummy hash
        requests[kind](app.test_client(), 0)
    for run in range(1, runs + 1):
        for kind in ("known", "unknown") if run % 2 else ("unknown", "known"):
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


if __name__ == "__main__":
    raise SystemExit(main())
