"""Attacks on accounts refused: weak passwords, guessing, telling which emails exist.

Passwords follow OWASP ASVS 4.0.3 section 2.1; guesses are throttled per account
(and not only per client address); login, registration and reset answer the same
whether or not the email has an account; password changes are emailed and every
security event is logged.
"""

import json
import logging
from datetime import timedelta

import argon2
import pytest
import sqlalchemy as sa

from shop.accounts import roles
from shop.accounts.models import User
from shop.extensions import db
from tests.conftest import PASSWORD, log_in
from tests.factories import UserFactory
from tests.integration.account_helpers import emailed_link, outbox, register
from tests.integration.race_helpers import at_once

GOOD_PASSWORD = "paddle across the lake"
LOCK_MESSAGE = "Please wait 1 minute and try again, or reset your password."


def start(client, email: str, name: str = "Rosa Visitor"):
    return client.post("/account/register", data={"name": name, "email": email})


def text(response) -> str:
    return response.get_data(as_text=True)


# --- passwords (ASVS 2.1) -----------------------------------------------------------

WEAK = [
    ("password123", "Use at least 12 characters"),
    ("1234567890", "Use at least 12 characters"),
    ("qwertyuiop", "Use at least 12 characters"),
    ("password1234", "This is a very common password."),
    ("qwertyuiop12", "This is similar to a commonly used password."),
    ("aaaaaaaaaaaaaaaa", "Repeats like"),
    ("     a     b     c     ", "Use at least 12 characters"),  # runs of spaces count once
    ("x" * 129, "Use at most 128 characters"),
]
STRONG = [
    "paddle across the lake",
    "mot de passe été à la plage",  # spaces and accents
    "🏕️ canoe portage at dawn 🛶",  # emoji
    "four words, no capitals or digits needed",  # no composition rules
    "w" + " ".join(["kayak", "spruce", "lantern", "ember"] * 6)[:127],  # 128 characters
]


@pytest.mark.parametrize(("password", "message"), WEAK)
def test_registration_refuses_weak_passwords_and_says_why(client, password, message):
    response = register(client, "rosa@example.com", password)
    assert response.status_code == 200
    assert message in text(response)
    assert db.session.scalar(sa.select(User).where(User.email == "rosa@example.com")) is None


@pytest.mark.parametrize("password", STRONG)
def test_registration_accepts_long_passphrases_with_spaces_and_unicode(client, password):
    response = register(client, "rosa@example.com", password)
    assert response.status_code == 302
    client.post("/account/logout")
    assert log_in(client, "rosa@example.com", password).status_code == 302


def test_a_password_made_of_the_users_own_email_is_refused(client):
    response = register(client, "kingfisher.lodge@example.com", "kingfisher.lodge")
    assert "Add another word or two." in text(response)


def test_change_password_refuses_a_common_password(client, customer):
    log_in(client, customer.email)
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "password1234", "confirm": "password1234"},
    )
    assert "This is a very common password." in text(response)
    client.post("/account/logout")
    assert log_in(client, customer.email).status_code == 302


def test_reset_refuses_a_common_password(client, customer):
    client.post("/account/forgot-password", data={"email": customer.email})
    link = emailed_link(customer.email, "/account/reset-password/")
    response = client.post(link, data={"password": "qwertyuiop12", "confirm": "qwertyuiop12"})
    assert "This is similar to a commonly used password." in text(response)
    assert log_in(client, customer.email).status_code == 302


def test_the_owner_cannot_give_staff_a_common_password(client, staff):
    log_in(client, staff[roles.OWNER].email)
    response = client.post(
        "/admin/staff/new",
        data={
            "name": "Walt Warehouse",
            "email": "walt@example.com",
            "role": roles.WAREHOUSE,
            "password": "password1234",
        },
    )
    assert "This is a very common password." in text(response)
    assert db.session.scalar(sa.select(User).where(User.email == "walt@example.com")) is None


def test_demo_and_test_passwords_meet_the_policy(app):
    from shop.accounts.passwords import password_problem
    from shop.demo import CUSTOMER_PASSWORD, STAFF_PASSWORD

    for password in (CUSTOMER_PASSWORD, STAFF_PASSWORD, PASSWORD):
        assert password_problem(password) is None, password


# --- registration continues by email, for a new address and a taken one alike ------


def test_registration_answers_the_same_for_a_new_and_a_taken_email(app, customer):
    new, taken = app.test_client(), app.test_client()
    for_new = start(new, "rosa@example.com")
    for_taken = start(taken, "CARLA@example.com")
    assert for_new.status_code == for_taken.status_code == 302
    assert for_new.headers["Location"] == for_taken.headers["Location"]
    page_new = text(new.get(for_new.headers["Location"]))
    page_taken = text(taken.get(for_taken.headers["Location"]))
    assert "Check your inbox" in page_new
    assert page_new.replace("rosa@example.com", "EMAIL") == page_taken.replace(
        "carla@example.com", "EMAIL"
    )
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1  # nothing created yet


def test_the_owner_of_a_taken_email_is_told_and_given_a_reset_link(client, customer):
    start(client, "CARLA@example.com", name="Mallory")
    (message,) = outbox(customer.email)
    assert message.subject == "Someone tried to create an account with your email"
    link = emailed_link(customer.email, "/account/reset-password/")
    page = client.post(link, data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    assert page.status_code == 302
    assert log_in(client, customer.email, GOOD_PASSWORD).status_code == 302
    assert db.session.get(User, customer.id).name == "Carla Customer"


def test_a_new_customer_finishes_registration_from_the_emailed_link(client):
    page = text(
        client.post(
            "/account/register",
            data={"name": "Rosa Visitor", "email": "Rosa@Example.com"},
            follow_redirects=True,
        )
    )
    assert "Check your inbox" in page
    (message,) = outbox("rosa@example.com")
    assert message.subject == "Finish creating your account"
    link = emailed_link("rosa@example.com", "/account/register/")
    page = text(
        client.post(
            link, data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD}, follow_redirects=True
        )
    )
    assert "Welcome, Rosa Visitor! Your account is ready." in page
    assert "Log out" in page
    user = db.session.scalar(sa.select(User).where(User.email == "rosa@example.com"))
    assert (user.name, user.role) == ("Rosa Visitor", roles.CUSTOMER)
    assert user.password_hash.startswith("$argon2id$")


def test_a_registration_link_works_once(client):
    start(client, "rosa@example.com")
    link = emailed_link("rosa@example.com", "/account/register/")
    client.post(link, data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    client.post("/account/logout")
    page = text(client.get(link, follow_redirects=True))
    assert "This link has already been used. Please log in." in page


def test_a_registration_link_expires_after_a_day(client, clock):
    start(client, "rosa@example.com")
    link = emailed_link("rosa@example.com", "/account/register/")
    clock.shift(timedelta(hours=24, seconds=1))
    page = text(client.get(link, follow_redirects=True))
    assert "This link has expired. Please register again." in page


def test_a_forged_registration_link_is_refused(client):
    page = text(client.get("/account/register/forged.token", follow_redirects=True))
    assert "This link is not valid" in page


# --- login and reset answer the same for a known and an unknown email --------------


def test_login_answers_the_same_for_a_wrong_password_and_an_unknown_email(app, customer):
    known = log_in(app.test_client(), customer.email, "wrong password here")
    unknown = log_in(app.test_client(), "nobody@example.com", "wrong password here")
    assert known.status_code == unknown.status_code == 401
    assert text(known).replace(customer.email, "EMAIL") == text(unknown).replace(
        "nobody@example.com", "EMAIL"
    )


def test_login_does_the_same_hashing_work_for_an_unknown_email(app, customer, monkeypatch):
    """Equal work, equal time (bench/account_timing.py measures it): one Argon2
    verification with the same parameters and nothing more, account or not."""
    work = []
    real_hash, real_verify = argon2.PasswordHasher.hash, argon2.PasswordHasher.verify

    def counting_hash(hasher, password, **kwargs):
        work.append(("hash", hasher.time_cost, hasher.memory_cost))
        return real_hash(hasher, password, **kwargs)

    def counting_verify(hasher, password_hash, password):
        work.append(("verify", argon2.extract_parameters(password_hash)))
        return real_verify(hasher, password_hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "hash", counting_hash)
    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting_verify)
    log_in(app.test_client(), "first@example.com", "wrong password here")  # makes the dummy
    work.clear()
    log_in(app.test_client(), customer.email, "wrong password here")
    known, work[:] = list(work), []
    log_in(app.test_client(), "nobody@example.com", "wrong password here")
    assert [step[0] for step in known] == ["verify"]
    assert work == known


def test_reset_answers_the_same_for_a_known_and_an_unknown_email(app, customer):
    known = app.test_client().post("/account/forgot-password", data={"email": customer.email})
    unknown = app.test_client().post(
        "/account/forgot-password", data={"email": "nobody@example.com"}
    )
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert len(outbox(customer.email)) == 1 and outbox("nobody@example.com") == []


# --- per-account throttling -------------------------------------------------------


def wrong_logins(client, email: str, times: int) -> list:
    return [log_in(client, email, f"wrong guess {n}") for n in range(times)]


def test_five_wrong_passwords_lock_the_account_for_a_minute_then_longer(client, customer, clock):
    *first, fifth = wrong_logins(client, customer.email, 5)
    assert all("Wrong email or password." in text(r) for r in first)
    assert LOCK_MESSAGE in text(fifth) and fifth.status_code == 429
    # Locked: even the right password is refused, without being tried.
    assert LOCK_MESSAGE in text(log_in(client, customer.email))
    clock.shift(timedelta(seconds=61))
    (sixth,) = wrong_logins(client, customer.email, 1)
    assert "Please wait 2 minutes" in text(sixth)
    clock.shift(timedelta(seconds=121))
    (seventh,) = wrong_logins(client, customer.email, 1)
    assert "Please wait 4 minutes" in text(seventh)


def test_the_lockout_never_lasts_more_than_fifteen_minutes(client, customer, clock):
    wrong_logins(client, customer.email, 5)
    for _ in range(6):
        clock.shift(timedelta(minutes=15, seconds=1))
        (last,) = wrong_logins(client, customer.email, 1)
    assert "Please wait 15 minutes" in text(last)
    clock.shift(timedelta(minutes=15, seconds=1))
    assert log_in(client, customer.email).status_code == 302


def test_a_successful_login_clears_the_count(app, customer, clock):
    client = app.test_client()
    wrong_logins(client, customer.email, 4)
    assert log_in(client, customer.email).status_code == 302
    client.post("/account/logout")
    responses = wrong_logins(client, customer.email, 4)
    assert all("Wrong email or password." in text(r) for r in responses)
    assert log_in(client, customer.email).status_code == 302


def test_the_lockout_counts_per_account_from_every_client(app, customer, clock):
    for _ in range(5):
        wrong_logins(app.test_client(), customer.email, 1)
    assert LOCK_MESSAGE in text(log_in(app.test_client(), customer.email))
    # Another account is not affected.
    other = UserFactory(email="other@example.com")
    assert log_in(app.test_client(), other.email).status_code == 302


def test_an_unknown_email_is_locked_out_the_same_way(app, customer, clock):
    known = wrong_logins(app.test_client(), customer.email, 6)
    unknown = wrong_logins(app.test_client(), "nobody@example.com", 6)
    for k, u in zip(known, unknown, strict=True):
        assert k.status_code == u.status_code
        assert text(k).replace(customer.email, "E") == text(u).replace("nobody@example.com", "E")


def test_a_locked_out_customer_gets_back_in_at_once_by_resetting_the_password(
    client, customer, clock
):
    wrong_logins(client, customer.email, 5)
    client.post("/account/forgot-password", data={"email": customer.email})
    link = emailed_link(customer.email, "/account/reset-password/")
    client.post(link, data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    assert log_in(client, customer.email, GOOD_PASSWORD).status_code == 302


def test_wrong_current_passwords_lock_the_password_change(client, customer, clock):
    log_in(client, customer.email)
    responses = [
        client.post(
            "/account/password",
            data={
                "current_password": f"guess {n}",
                "password": GOOD_PASSWORD,
                "confirm": GOOD_PASSWORD,
            },
        )  # fmt: skip
        for n in range(6)
    ]
    assert all("Your current password is not right." in text(r) for r in responses[:4])
    assert all(LOCK_MESSAGE in text(r) for r in responses[4:])
    right = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD},
    )
    assert LOCK_MESSAGE in text(right)
    clock.shift(timedelta(seconds=61))
    right = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD},
    )
    assert right.status_code == 302


def test_reset_requests_for_one_email_are_throttled_the_same_known_or_not(app, customer, clock):
    def ask(email):
        return app.test_client().post(
            "/account/forgot-password", data={"email": email}, follow_redirects=True
        )

    known = [text(ask(customer.email)).replace(customer.email, "E") for _ in range(6)]
    unknown = [text(ask("nobody@example.com")).replace("nobody@example.com", "E") for _ in range(6)]
    assert known == unknown
    assert all("we have sent it a link" in page for page in known[:5])
    assert "Please wait 1 minute and try again." in known[5]
    assert len(outbox(customer.email)) == 5
    clock.shift(timedelta(seconds=61))
    assert "we have sent it a link" in text(ask(customer.email))
    assert len(outbox(customer.email)) == 6


# --- a password change is emailed; security events are logged ----------------------


def test_a_changed_password_is_emailed_to_the_owner(client, customer):
    log_in(client, customer.email)
    client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD},
    )
    (message,) = outbox(customer.email)
    assert message.subject == "Your password was changed"
    assert "If this wasn't you, reset your password now" in message.body_text
    assert "/account/forgot-password" in message.body_text
    assert GOOD_PASSWORD not in message.body_text


def test_a_reset_password_is_emailed_to_the_owner(client, customer):
    client.post("/account/forgot-password", data={"email": customer.email})
    link = emailed_link(customer.email, "/account/reset-password/")
    client.post(link, data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    subjects = [m.subject for m in outbox(customer.email)]
    assert subjects == ["Reset your password", "Your password was changed"]


def security_events(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "shop.security"]


def test_logins_failures_and_lockouts_are_logged_without_secrets(client, customer, caplog):
    caplog.set_level(logging.INFO, logger="shop.security")
    log_in(client, customer.email)
    client.post("/account/logout")
    wrong_logins(client, customer.email, 5)
    events = security_events(caplog)
    assert [e["event"] for e in events] == ["login_succeeded"] + ["login_failed"] * 5 + [
        "account_locked"
    ]
    assert events[0]["user_id"] == customer.id
    assert events[1]["user_id"] == customer.id
    assert events[-1]["wait_seconds"] == 60
    assert all(e["ip"] == "127.0.0.1" for e in events)
    assert all(e["email"] == "c***@example.com" for e in events)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert PASSWORD not in logged and "wrong guess" not in logged
    assert customer.email not in logged


def test_a_failed_login_for_an_unknown_email_is_logged(client, caplog):
    caplog.set_level(logging.INFO, logger="shop.security")
    log_in(client, "nobody@example.com")
    (event,) = security_events(caplog)
    assert event["event"] == "login_failed" and event["user_id"] is None
    assert event["email"] == "n***@example.com"


def test_a_refused_page_is_logged(client, staff, caplog):
    caplog.set_level(logging.INFO, logger="shop.security")
    log_in(client, staff[roles.WAREHOUSE].email)
    caplog.clear()
    assert client.get("/admin/staff").status_code == 403
    (event,) = security_events(caplog)
    assert event == {
        "event": "forbidden",
        "user_id": staff[roles.WAREHOUSE].id,
        "email": "w***@shop.test",
        "ip": "127.0.0.1",
        "method": "GET",
        "path": "/admin/staff",
    }


def test_a_password_change_is_logged(client, customer, caplog):
    caplog.set_level(logging.INFO, logger="shop.security")
    log_in(client, customer.email)
    client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD},
    )
    assert "password_changed" in [e["event"] for e in security_events(caplog)]
    assert GOOD_PASSWORD not in caplog.text


SERVER_WITHOUT_LOGGING_SETUP = """
import sys
from shop import create_app
from shop.extensions import db
app = create_app({"INSTANCE_PATH": sys.argv[1], "WTF_CSRF_ENABLED": False,
                  "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1] + "/store.db"})
with app.app_context():
    db.create_all()
app.test_client().post("/account/login", base_url=app.config["BASE_URL"],
                       data={"email": "x@example.com", "password": "guess"})
"""


def test_security_lines_reach_the_error_log_with_no_logging_set_up(tmp_path):
    """As under gunicorn: nobody configured logging, the lines still go to stderr."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", SERVER_WITHOUT_LOGGING_SETUP, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert '{"event": "login_failed", "user_id": null, "email": "x***@example.com"' in done.stderr


def test_failures_sent_at_the_same_moment_are_all_counted(app, customer):
    """Real threads, each with its own connection: no failure is lost to a race."""
    from shop.accounts.models import AccountThrottle

    guesses = 4
    statuses = []
    email = customer.email

    def guesser(n: int):
        def guess():
            statuses.append(log_in(app.test_client(), email, f"wrong guess {n}").status_code)

        return guess

    # The login page commits each failure itself.
    assert at_once(app, *(guesser(n) for n in range(guesses)), commit=False).failed == []
    assert statuses == [401] * guesses
    (row,) = db.session.scalars(sa.select(AccountThrottle)).all()
    assert row.failures == guesses
    # the fifth, from anywhere, starts the wait
    assert log_in(app.test_client(), email, "one more").status_code == 429


def test_an_emailed_link_of_one_hour_or_one_minute_says_so_in_the_singular(app, client, customer):
    app.config.update(REGISTRATION_LINK_MAX_AGE=3600, PASSWORD_RESET_MAX_AGE=60)
    start(client, "rosa@example.com")
    start(client, "CARLA@example.com", name="Mallory")
    (registration,) = outbox("rosa@example.com")
    (taken,) = outbox(customer.email)
    for message in (registration, taken):
        body = message.body_text + message.body_html
        assert "1 hours" not in body and "1 minutes" not in body
    assert "works for 1 hour." in registration.body_text
    assert "for 1 minute." in taken.body_text
