"""Accounts: registration, login sessions, password reset, addresses, staff."""

import math

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from shop.accounts import audit, passwords, roles, throttle
from shop.accounts.errors import AccountError, AccountLocked
from shop.accounts.models import ADDRESS_FIELDS, Address, LoginChallenge, User, new_session_token
from shop.addresses import postal_code_problem, tidy_postal_code
from shop.db import end_reading, utcnow
from shop.extensions import db
from shop.links import public_url
from shop.notifications.services import queue_email, render_email

RESET_SALT = "password-reset"
REGISTER_SALT = "registration"
LINK_USED = "This link has already been used. Please log in."
TAKEN_SUBJECT = "Someone tried to create an account with your email"
LOGIN_WAIT = (
    "Too many wrong passwords for this account. "
    "Please wait {wait} and try again, or reset your password."
)
EMAIL_WAIT = "Too many emails asked for this address. Please wait {wait} and try again."


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def load_user_by_session_token(token: str) -> User | None:
    """Flask-Login's loader: the cookie holds the user's current session token."""
    return db.session.scalar(sa.select(User).where(User.session_token == token))


def _check_password_rules(password: str, *, email: str, name: str) -> None:
    problem = passwords.password_problem(password, user_inputs=(email, name))
    if problem:
        raise AccountError(problem, field="password")


def create_user(*, email: str, name: str, password: str, role: str = roles.CUSTOMER) -> User:
    """A new account; the email must not be taken."""
    email = normalise_email(email)
    if role not in roles.ALL:
        raise AccountError("Unknown role.", field="role")
    if find_user_by_email(email) is not None:
        raise AccountError("An account with this email already exists.", field="email")
    _check_password_rules(password, email=email, name=name)
    user = User(
        email=email, name=name.strip(), password_hash=passwords.hash_password(password), role=role
    )
    db.session.add(user)
    db.session.flush()
    return user


# --- registration: continued by email, so that no page tells which emails exist ------


def start_registration(*, email: str, name: str) -> None:
    """Email a link to finish creating the account; if the email is taken, tell its owner.

    Both cases do the same work (a signed link, an email) and the page says the same.
    """
    email = normalise_email(email)
    _count_email_request(email)
    user = find_user_by_email(email)
    if user is not None:
        _send_reset_link(user, subject=TAKEN_SUBJECT, kind="registration_taken")
        return
    token = _signer(REGISTER_SALT).dumps({"email": email, "name": name.strip()})
    queue_email(
        to=email,
        subject="Finish creating your account",
        kind="registration",
        template="registration",
        name=name.strip(),
        link=public_url("account.finish_registration", token=token),
        hours=current_app.config["REGISTRATION_LINK_MAX_AGE"] // 3600,
    )


def registration_for_token(token: str) -> dict:
    """The email and name a registration link was made for, if it may still be used."""
    data = _read_link(
        REGISTER_SALT, token, "REGISTRATION_LINK_MAX_AGE", "link", "Please register again."
    )
    if find_user_by_email(data["email"]) is not None:
        raise AccountError(LINK_USED)
    return data


def finish_registration(*, token: str, password: str) -> User:
    """The customer account of a registration link, with the password chosen now."""
    data = registration_for_token(token)
    try:
        with db.session.begin_nested():
            return create_user(email=data["email"], name=data["name"], password=password)
    except IntegrityError as exc:  # the same link being finished in another request now
        raise AccountError(LINK_USED) from exc
    except AccountError as err:
        if err.field == "email":  # ... or a moment ago: the email is taken
            raise AccountError(LINK_USED) from err
        raise


def _signer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _read_link(salt: str, token: str, max_age_setting: str, name: str, again: str) -> dict:
    """The data of an emailed signed link, or AccountError saying why it cannot be used."""
    try:
        data = _signer(salt).loads(token, max_age=current_app.config[max_age_setting])
    except SignatureExpired as exc:
        raise AccountError(f"This {name} has expired. {again}") from exc
    except BadSignature as exc:
        raise AccountError(f"This {name} is not valid. {again}") from exc
    if not isinstance(data, dict):
        raise AccountError(f"This {name} is not valid. {again}")
    return data


# --- login and passwords -------------------------------------------------------------


def authenticate(*, email: str, password: str) -> User:
    """The user with these credentials, or AccountError with one message for all failures.

    A known and an unknown email take the same path and time: one throttle check,
    one Argon2 verification, one failure counted.
    """
    email = normalise_email(email)
    refuse_while_locked(throttle.LOGIN, email, LOGIN_WAIT)
    user = find_user_by_email(email)
    password_hash = user.password_hash if user is not None else None
    end_reading(db.session)  # no lock held while Argon2 works
    if user is None:
        passwords.burn_time(password)
    if user is None or not passwords.verify_password(password_hash, password):
        audit.log_event("login_failed", user=user, email=email)
        _count_failure(throttle.LOGIN, email, LOGIN_WAIT)
        raise AccountError("Wrong email or password.")
    if not user.is_enabled:
        audit.log_event("login_refused_disabled", user=user)
        raise AccountError("This account is disabled. Please contact the store.")
    throttle.clear(scope=throttle.LOGIN, key=email)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = utcnow()
    audit.log_event("login_succeeded", user=user)
    return user


def end_all_sessions(*, user: User) -> None:
    """Every session cookie of this user stops working (logout, password change)."""
    user.session_token = new_session_token()


def change_password(*, user: User, current_password: str, new_password: str) -> None:
    """A new password for a logged-in user who knows the current one (throttled per account)."""
    check_current_password(user=user, password=current_password)
    _set_password(user, new_password)


def check_current_password(
    *,
    user: User,
    password: str,
    field: str = "current_password",
    wrong: str = "Your current password is not right.",
) -> None:
    """AccountError unless this is the signed-in user's password. Every form that asks
    for it (password change, turning off the second factor, ...) counts towards the
    same per-account wait, so none of them lets a stolen session guess without end."""
    refuse_while_locked(throttle.PASSWORD_CHANGE, user.email, LOGIN_WAIT, field=field)
    password_hash = user.password_hash
    end_reading(db.session)  # no lock held while Argon2 works
    if not passwords.verify_password(password_hash, password):
        audit.log_event("password_change_failed", user=user, form=field)
        _count_failure(throttle.PASSWORD_CHANGE, user.email, LOGIN_WAIT, field=field)
        raise AccountError(wrong, field=field)
    throttle.clear(scope=throttle.PASSWORD_CHANGE, key=user.email)


def _set_password(user: User, new_password: str) -> None:
    _check_password_rules(new_password, email=user.email, name=user.name)
    user.password_hash = passwords.hash_password(new_password)
    end_all_sessions(user=user)
    # A sign-in past the old password, waiting for its code, ends too.
    db.session.execute(sa.delete(LoginChallenge).where(LoginChallenge.user_id == user.id))
    # The owner proved who they are; whoever guessed with the old password is out.
    throttle.clear(scope=throttle.LOGIN, key=user.email)
    throttle.clear(scope=throttle.SECOND_FACTOR, key=user.email)
    queue_email(
        to=user.email,
        subject="Your password was changed",
        kind="password_changed",
        template="password_changed",
        user=user,
        link=public_url("account.forgot_password"),
    )
    audit.log_event("password_changed", user=user)


def _password_fingerprint(user: User) -> str:
    # Part of the token: once the password changes, every older link is dead.
    return user.password_hash[-16:]


def request_password_reset(*, email: str) -> None:
    """Email a reset link if the account exists; say nothing either way, do the same work."""
    email = normalise_email(email)
    _count_email_request(email)
    user = find_user_by_email(email)
    _send_reset_link(user, subject="Reset your password", kind="password_reset")


def _send_reset_link(user: User | None, *, subject: str, kind: str) -> None:
    # No account (or a disabled one): the same link made and the same email written,
    # but not sent, so the answer takes as long either way.
    real = user is not None and user.is_enabled
    someone = user if real else User(id=0, email="nobody@example.com", name="", password_hash="")
    token = _signer(RESET_SALT).dumps({"uid": someone.id, "fp": _password_fingerprint(someone)})
    context = dict(
        subject=subject,
        template=kind,
        user=someone,
        link=public_url("account.reset_password", token=token),
        login_link=public_url("account.login"),
        minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
    )
    if real:
        queue_email(to=user.email, kind=kind, **context)
    else:
        render_email(**context)


def user_for_reset_token(token: str) -> User:
    """The user a reset link was made for, if the link may still be used."""
    data = _read_link(
        RESET_SALT, token, "PASSWORD_RESET_MAX_AGE", "reset link", "Please ask for a new one."
    )
    user = db.session.get(User, data.get("uid"))
    if user is None or data.get("fp") != _password_fingerprint(user):
        raise AccountError("This reset link has already been used. Please ask for a new one.")
    return user


def reset_password(*, token: str, new_password: str) -> User:
    """A new password through an emailed reset link."""
    user = user_for_reset_token(token)
    _set_password(user, new_password)
    throttle.clear(scope=throttle.EMAIL_REQUEST, key=user.email)
    return user


# --- per-account throttling ----------------------------------------------------------


def refuse_while_locked(scope: str, key: str, message: str, field: str | None = None) -> None:
    """AccountLocked, with the wait in the message, while this account must wait."""
    seconds = throttle.seconds_locked(scope=scope, key=key)
    if seconds:
        audit.log_event("attempt_while_locked", email=key, scope=scope, wait_seconds=seconds)
        raise AccountLocked(message.format(wait=_minutes(seconds)), field=field)


def _count_failure(scope: str, key: str, message: str, field: str | None = None) -> None:
    seconds = throttle.record_failure(scope=scope, key=key)
    if seconds:
        raise AccountLocked(message.format(wait=_minutes(seconds)), field=field)


def _count_email_request(email: str) -> None:
    # Every email asked for an address counts, known or not: no one can flood an inbox.
    refuse_while_locked(throttle.EMAIL_REQUEST, email, EMAIL_WAIT, field="email")
    throttle.record_failure(scope=throttle.EMAIL_REQUEST, key=email)


def _minutes(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


# --- addresses -----------------------------------------------------------------


def save_address(*, user: User, data: dict, address: Address | None = None) -> Address:
    """Add an address to the user's book, or update one of theirs; refused (AccountError
    beside the postal code) when the postal code cannot be the province's."""
    problem = postal_code_problem(
        country=data.get("country") or "CA", province=data.get("province") or "",
        postal_code=data.get("postal_code") or "",
    )  # fmt: skip
    if problem:
        raise AccountError(problem, field="postal_code")
    if address is None:
        address = Address(user=user)
        db.session.add(address)
    elif address.user_id != user.id:
        raise AccountError("No such address.")
    for name in ADDRESS_FIELDS:
        value = data.get(name)
        setattr(address, name, value.strip() if isinstance(value, str) else value)
    address.postal_code = tidy_postal_code(address.postal_code)
    if data.get("is_default") or not any(a.is_default for a in user.addresses if a is not address):
        _make_default(user, address)
    db.session.flush()
    return address


def _make_default(user: User, address: Address) -> None:
    for other in user.addresses:
        other.is_default = other is address
    address.is_default = True


def delete_address(*, user: User, address_id: int) -> None:
    address = address_of(user=user, address_id=address_id)
    was_default = address.is_default
    user.addresses.remove(address)
    db.session.flush()
    if was_default and user.addresses:
        _make_default(user, user.addresses[0])


def address_of(*, user: User, address_id: int) -> Address:
    """One of the user's own addresses; another user's id is 'not found'."""
    address = db.session.get(Address, address_id)
    if address is None or address.user_id != user.id:
        raise AccountError("No such address.")
    return address


# --- staff -----------------------------------------------------------------------


def update_staff(*, user: User, name: str, role: str, is_enabled: bool, acting: User) -> User:
    """The owner changes a staff account's name, role or whether it may log in."""
    if role not in roles.ALL:
        raise AccountError("Unknown role.", field="role")
    if user.id == acting.id and (role != roles.OWNER or not is_enabled):
        raise AccountError("You cannot demote or disable your own account.", field="role")
    if user.role != role or user.is_enabled != is_enabled:
        end_all_sessions(user=user)
    user.name, user.role, user.is_enabled = name.strip(), role, is_enabled
    return user


def staff_accounts() -> list[User]:
    """Every account with a staff role, by name."""
    return list(
        db.session.scalars(
            sa.select(User).where(User.role.in_(roles.STAFF)).order_by(User.name, User.id)
        )
    )
