"""Two-step sign-in: a password, then a code from an authenticator app (TOTP) or a
single-use recovery code. Required for the owner and the bookkeeper, offered to everyone."""

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from shop.accounts import roles
from shop.accounts.models import RecoveryCode
from shop.extensions import db
from tests.conftest import PASSWORD, log_in
from tests.factories import UserFactory
from tests.integration.account_helpers import emailed_link
from tests.integration.backoffice_helpers import errors_beside, flashes, text_of
from tests.integration.test_account_security import security_events
from tests.two_factor_helpers import (
    CODE_STEP_PATH,
    code_at,
    code_for,
    factor_of,
    recovery_codes_on,
    secret_on,
    wrong_code,
)

ENROL_AT_LOGIN_PATH = "/account/login/enrol"
LOCK_MESSAGE = "Please wait 1 minute and try again, or reset your password."


def password_step(client, email, password=PASSWORD, **query):
    url = "/account/login" + (f"?next={query['next']}" if "next" in query else "")
    return client.post(url, data={"email": email, "password": password})


def enter_code(client, code, follow=False):
    return client.post(CODE_STEP_PATH, data={"code": code}, follow_redirects=follow)


def is_logged_in(client) -> bool:
    return client.get("/account/").status_code == 200


def enrol_from_account_page(client) -> tuple[str, list[str]]:
    """Open the enrolment page, read the secret, confirm it with a code; the recovery codes."""
    page = client.get("/account/two-factor/enrol").get_data(as_text=True)
    secret = secret_on(page)
    response = client.post("/account/two-factor/enrol", data={"code": code_at(secret)})
    assert response.status_code == 200
    return secret, recovery_codes_on(response.get_data(as_text=True))


@pytest.fixture
def enrolled(client, customer):
    """Carla, enrolled from her account page and logged out again: (secret, recovery codes)."""
    log_in(client, customer.email)
    secret, codes = enrol_from_account_page(client)
    client.post("/account/logout")
    return secret, codes


def test_a_customer_enrols_from_the_account_page(client, customer):
    log_in(client, customer.email)
    overview = text_of(client.get("/account/"))
    assert "Two-step sign-in" in overview and "off" in overview

    page = client.get("/account/two-factor/enrol").get_data(as_text=True)
    secret = secret_on(page)
    assert "<svg" in page  # the QR code, drawn by the store itself

    wrong = client.post("/account/two-factor/enrol", data={"code": wrong_code(secret)})
    assert wrong.status_code == 422
    assert errors_beside(text_of(wrong), "code") == ["That code is not right."]
    assert factor_of(customer.email) is None

    done = client.post("/account/two-factor/enrol", data={"code": code_at(secret)})
    codes = recovery_codes_on(done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "Two-step sign-in is on" in text_of(done)
    # Stored hashed, never as shown.
    stored = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    # Shown once: the page does not show them again.
    assert recovery_codes_on(client.get("/account/two-factor").get_data(as_text=True)) == []
    assert "on" in text_of(client.get("/account/"))


def test_sign_in_asks_for_the_code_and_logs_in_only_after_it(client, customer, enrolled):
    response = password_step(client, customer.email, next="/account/addresses")
    assert response.status_code == 302
    code_step = response.headers["Location"]
    assert code_step.startswith(CODE_STEP_PATH)
    assert not is_logged_in(client)  # the password alone is not enough

    response = client.post(code_step, data={"code": code_for(customer.email)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/addresses"
    assert is_logged_in(client)


def test_the_code_step_without_the_password_step_goes_back_to_login(client, customer, enrolled):
    secret, _ = enrolled
    response = enter_code(client, code_at(secret))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login")
    assert not is_logged_in(client)


def test_a_wrong_code_is_refused_and_five_send_back_to_the_password_step(
    client, customer, enrolled
):
    secret, _ = enrolled
    password_step(client, customer.email)
    for tries_left in ("4 tries", "3 tries", "2 tries", "1 try"):
        response = enter_code(client, wrong_code(secret))
        assert response.status_code == 422
        assert errors_beside(text_of(response), "code") == [
            f"That code is not right. {tries_left} left."
        ]
    response = enter_code(client, wrong_code(secret), follow=True)
    assert "Too many wrong codes. Please log in again." in flashes(text_of(response))
    # The right code is no use now: the password step must be done again.
    response = enter_code(client, code_at(secret))
    assert response.headers["Location"].startswith("/account/login")
    assert not is_logged_in(client)


def test_the_password_again_gives_no_fresh_guesses_at_the_code(client, customer, enrolled):
    """Wrong codes count for the account across sign-ins, not only within one: someone who
    knows the password cannot go on guessing five codes per password step."""
    secret, _ = enrolled
    password_step(client, customer.email)
    for _ in range(5):
        enter_code(client, wrong_code(secret))
    password_step(client, customer.email)
    response = enter_code(client, code_for(customer.email))  # even the right code waits
    assert response.status_code == 422
    assert errors_beside(text_of(response), "code") == [
        "Too many wrong codes for this account. Please wait 1 minute and try again."
    ]
    assert not is_logged_in(client)
    with time_machine.travel(timedelta(minutes=1, seconds=5), tick=True):
        assert enter_code(client, code_for(customer.email)).status_code == 302
        assert is_logged_in(client)
        client.post("/account/logout")
        # A right code starts the count again: one wrong code is only a wrong code.
        password_step(client, customer.email)
        response = enter_code(client, wrong_code(secret))
        assert errors_beside(text_of(response), "code") == ["That code is not right. 4 tries left."]


@pytest.mark.parametrize("code", ["١٢٣٤٥٦", "１２３４５６"])  # Arabic-Indic, full-width
def test_a_code_in_digits_beyond_ascii_is_only_a_wrong_code(client, customer, enrolled, code):
    password_step(client, customer.email)
    response = enter_code(client, code)
    assert response.status_code == 422
    assert errors_beside(text_of(response), "code") == ["That code is not right. 4 tries left."]


def test_a_new_password_ends_a_sign_in_half_done_with_the_old_one(app, client, customer, enrolled):
    """Someone past the password step with the old password (a phished or leaked one) may
    not finish with a code once the owner of the account has reset the password."""
    intruder = app.test_client()
    password_step(intruder, customer.email)
    client.post("/account/forgot-password", data={"email": customer.email})
    link = emailed_link(customer.email, "/account/reset-password/")
    client.post(
        link, data={"password": "a brand new pass phrase", "confirm": "a brand new pass phrase"}
    )
    response = enter_code(intruder, code_for(customer.email))
    assert response.headers["Location"].startswith("/account/login")
    assert not is_logged_in(intruder)


def test_a_password_reset_ends_the_wait_for_the_code(client, customer, enrolled):
    """Someone with the old password kept the owner of the account waiting at the code
    step; the reset (by email) locks them out and lets the owner in at once."""
    secret, _ = enrolled
    password_step(client, customer.email)
    for _ in range(5):
        enter_code(client, wrong_code(secret))
    client.post("/account/forgot-password", data={"email": customer.email})
    link = emailed_link(customer.email, "/account/reset-password/")
    client.post(
        link, data={"password": "a brand new pass phrase", "confirm": "a brand new pass phrase"}
    )
    password_step(client, customer.email, password="a brand new pass phrase")
    assert enter_code(client, code_for(customer.email)).status_code == 302
    assert is_logged_in(client)


def test_wrong_codes_and_the_wait_they_start_are_logged(client, customer, enrolled, caplog):
    secret, _ = enrolled
    caplog.set_level(logging.INFO, logger="shop.security")
    password_step(client, customer.email)
    caplog.clear()
    codes = [wrong_code(secret)] * 5
    for code in codes:
        enter_code(client, code)
    events = security_events(caplog)
    assert [e["event"] for e in events] == ["login_code_failed"] * 5 + ["account_locked"]
    assert all(e["user_id"] == customer.id for e in events[:5])
    assert events[-1]["scope"] == "second_factor"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert codes[0] not in logged and customer.email not in logged


def test_a_copied_code_step_cookie_gives_no_more_tries(app, customer, enrolled):
    secret, _ = enrolled
    client = app.test_client()
    password_step(client, customer.email)
    saved = client.get_cookie("session", domain="shop.test").value
    for _ in range(5):
        enter_code(client, wrong_code(secret))
    other = app.test_client()
    other.set_cookie("session", saved, domain="shop.test")
    response = enter_code(other, code_at(secret))
    assert response.headers["Location"].startswith("/account/login")
    assert not is_logged_in(other)


def test_a_code_cannot_be_used_twice(client, customer, enrolled):
    secret, _ = enrolled
    with time_machine.travel(timedelta(minutes=5), tick=True):  # past the enrolment's code
        code = code_at(secret)
        password_step(client, customer.email)
        assert enter_code(client, code).status_code == 302
        client.post("/account/logout")

        password_step(client, customer.email)
        response = enter_code(client, code)
        assert response.status_code == 422
        assert errors_beside(text_of(response), "code") == [
            "That code has already been used. Please wait for the next one."
        ]
        assert not is_logged_in(client)
    with time_machine.travel(timedelta(minutes=5, seconds=30), tick=True):
        assert enter_code(client, code_at(secret)).status_code == 302
        assert is_logged_in(client)


def test_a_recovery_code_signs_in_once(client, customer, enrolled):
    _, codes = enrolled
    password_step(client, customer.email)
    response = enter_code(client, codes[0].upper().replace("-", " "), follow=True)
    assert "You signed in with a recovery code; 9 are left." in flashes(text_of(response))
    assert is_logged_in(client)
    client.post("/account/logout")

    password_step(client, customer.email)
    response = enter_code(client, codes[0])
    assert response.status_code == 422
    assert errors_beside(text_of(response), "code") == ["That code is not right. 4 tries left."]
    assert enter_code(client, codes[1]).status_code == 302


def test_turning_it_off_needs_the_password_and_a_code(client, customer, enrolled):
    secret, _ = enrolled
    log_in(client, customer.email)
    with time_machine.travel(timedelta(minutes=2), tick=True):
        wrong = client.post(
            "/account/two-factor/disable",
            data={"password": "not it at all", "code": code_at(secret)},
        )
        assert errors_beside(text_of(wrong), "password") == ["Your password is not right."]
        assert factor_of(customer.email) is not None
        done = client.post(
            "/account/two-factor/disable",
            data={"password": PASSWORD, "code": code_at(secret)},
            follow_redirects=True,
        )
        assert "Two-step sign-in is off." in flashes(text_of(done))
    assert factor_of(customer.email) is None
    assert db.session.scalar(sa.select(sa.func.count(RecoveryCode.id))) == 0
    client.post("/account/logout")
    assert password_step(client, customer.email).headers["Location"] == "/account/"


@pytest.mark.parametrize(
    "path, prefix",
    [("/account/two-factor/disable", ""), ("/account/two-factor/recovery-codes", "renew-")],
)
def test_the_two_factor_forms_are_no_way_round_the_password_lockout(
    client, customer, enrolled, path, prefix
):
    """Someone holding a signed-in session must not try passwords here without end: they
    count with the password change's wrong current passwords."""
    secret, _ = enrolled
    log_in(client, customer.email)
    answers = [
        errors_beside(
            text_of(
                client.post(
                    path,
                    data={f"{prefix}password": f"guess {n}", f"{prefix}code": code_at(secret)},
                )
            ),
            f"{prefix}password",
        )
        for n in range(6)
    ]
    assert answers[:4] == [["Your password is not right."]] * 4
    assert all(len(a) == 1 and a[0].endswith(LOCK_MESSAGE) for a in answers[4:]), answers
    # The password change is locked as well: it is the same guessing.
    change = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "a new pass phrase",
            "confirm": "a new pass phrase",
        },
    )
    assert LOCK_MESSAGE in text_of(change)
    assert factor_of(customer.email) is not None


def test_new_recovery_codes_replace_the_old_ones(client, customer, enrolled):
    secret, old_codes = enrolled
    log_in(client, customer.email)
    wrong = client.post(
        "/account/two-factor/recovery-codes",
        data={"renew-password": PASSWORD, "renew-code": wrong_code(secret)},
    )
    assert errors_beside(text_of(wrong), "renew-code") == ["That code is not right."]
    response = client.post(
        "/account/two-factor/recovery-codes",
        data={"renew-password": PASSWORD, "renew-code": old_codes[0]},
    )
    new_codes = recovery_codes_on(response.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    client.post("/account/logout")

    password_step(client, customer.email)
    assert enter_code(client, old_codes[1]).status_code == 422
    assert enter_code(client, new_codes[0]).status_code == 302


@pytest.mark.parametrize("role", [roles.OWNER, roles.BOOKKEEPER])
def test_owner_and_bookkeeper_must_enrol_before_anything_else(client, role):
    user = UserFactory(role=role, email=f"{role}@shop.test", totp=False)
    response = password_step(client, user.email)
    assert response.headers["Location"].startswith(ENROL_AT_LOGIN_PATH)
    # Not logged in: neither the back office nor the account page opens.
    assert client.get("/admin/").headers["Location"].startswith("/account/login")
    assert not is_logged_in(client)

    page = client.get(ENROL_AT_LOGIN_PATH).get_data(as_text=True)
    assert "Your role needs two-step sign-in" in page
    secret = secret_on(page)
    done = client.post(ENROL_AT_LOGIN_PATH, data={"code": code_at(secret)})
    assert done.status_code == 200
    assert len(recovery_codes_on(done.get_data(as_text=True))) == 10
    assert client.get("/admin/").status_code == 200
    assert factor_of(user.email).secret == secret


def test_a_secret_seen_by_someone_past_the_password_is_never_the_one_confirmed(app, client):
    """Someone with a leaked password opens the setup page and keeps the secret without
    confirming it; when the real user sets up their app, it gets another secret, so the
    intruder's copy never makes codes for the account."""
    user = UserFactory(role=roles.BOOKKEEPER, email="books@example.com", totp=False)
    intruder = app.test_client()
    password_step(intruder, user.email)
    seen = secret_on(intruder.get(ENROL_AT_LOGIN_PATH).get_data(as_text=True))

    password_step(client, user.email)
    page = client.get(ENROL_AT_LOGIN_PATH).get_data(as_text=True)
    secret = secret_on(page)
    assert secret != seen
    assert secret_on(client.get(ENROL_AT_LOGIN_PATH).get_data(as_text=True)) == secret  # reload
    assert client.post(ENROL_AT_LOGIN_PATH, data={"code": code_at(secret)}).status_code == 200
    assert factor_of(user.email).secret == secret
    intruder.post(ENROL_AT_LOGIN_PATH, data={"code": code_at(seen)})
    assert not is_logged_in(intruder)


def test_owner_and_bookkeeper_cannot_turn_it_off(client, staff):
    owner = staff[roles.OWNER]
    log_in(client, owner.email)
    response = client.post(
        "/account/two-factor/disable",
        data={"password": PASSWORD, "code": code_for(owner.email)},
        follow_redirects=True,
    )
    assert "Your role needs two-step sign-in; it stays on." in flashes(text_of(response))
    assert factor_of(owner.email) is not None


def test_a_role_that_does_not_need_it_signs_in_with_the_password(client, staff):
    response = password_step(client, staff[roles.WAREHOUSE].email)
    assert response.headers["Location"] == "/admin/"


def test_the_owner_resets_the_lost_factor_of_the_bookkeeper(client, staff, caplog):
    owner, bookkeeper = staff[roles.OWNER], staff[roles.BOOKKEEPER]
    books_client = client.application.test_client()
    log_in(books_client, bookkeeper.email)
    log_in(client, owner.email)
    staff_page = text_of(client.get("/admin/staff"))
    assert "Two-step sign-in" in staff_page

    caplog.set_level(logging.INFO, logger="shop.accounts.second_factor")
    response = client.post(
        f"/admin/staff/{bookkeeper.id}/second-factor/reset", follow_redirects=True
    )
    assert f"Two-step sign-in of {bookkeeper.name} is reset" in " ".join(flashes(text_of(response)))
    [record] = [r for r in caplog.records if "second factor reset" in r.getMessage()]
    assert f"user_id={bookkeeper.id}" in record.getMessage()
    assert f"by_user_id={owner.id}" in record.getMessage()

    assert factor_of(bookkeeper.email) is None
    assert not is_logged_in(books_client)  # the bookkeeper's sessions ended
    response = password_step(books_client, bookkeeper.email)
    assert response.headers["Location"].startswith(ENROL_AT_LOGIN_PATH)


def test_the_owner_cannot_reset_their_own_factor_here(client, staff):
    owner = staff[roles.OWNER]
    log_in(client, owner.email)
    response = client.post(f"/admin/staff/{owner.id}/second-factor/reset", follow_redirects=True)
    assert "Use your own account page" in " ".join(flashes(text_of(response)))
    assert factor_of(owner.email) is not None


@pytest.mark.parametrize("role", [roles.BOOKKEEPER, roles.SALES, roles.WAREHOUSE])
def test_no_one_but_the_owner_resets_a_factor(client, staff, role):
    target = staff[roles.BOOKKEEPER if role != roles.BOOKKEEPER else roles.OWNER]
    log_in(client, staff[role].email)
    response = client.post(f"/admin/staff/{target.id}/second-factor/reset")
    assert response.status_code == 403
    assert factor_of(target.email) is not None


def test_the_command_line_resets_the_factor_of_an_owner_who_lost_it(client, runner, staff, caplog):
    owner = staff[roles.OWNER]
    caplog.set_level(logging.INFO, logger="shop.accounts.second_factor")
    result = runner.invoke(args=["accounts", "reset-second-factor", owner.email])
    assert result.exit_code == 0, result.output
    assert f"Two-step sign-in of {owner.email} is reset" in result.output
    assert any("by=command-line" in r.getMessage() for r in caplog.records)
    assert factor_of(owner.email) is None
    assert password_step(client, owner.email).headers["Location"].startswith(ENROL_AT_LOGIN_PATH)

    unknown = runner.invoke(args=["accounts", "reset-second-factor", "nobody@shop.test"])
    assert unknown.exit_code != 0 and "No account uses nobody@shop.test." in unknown.output
