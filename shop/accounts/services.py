"""Accounts: registration, login sessions, password reset, addresses, staff."""

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from shop.accounts import passwords, roles
from shop.accounts.errors import AccountError
from shop.accounts.models import Address, User, new_session_token
from shop.db import utcnow
from shop.extensions import db
from shop.links import public_url
from shop.notifications.services import queue_email

RESET_SALT = "password-reset"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def load_user_by_session_token(token: str) -> User | None:
    """Flask-Login's loader: the cookie holds the user's current session token."""
    return db.session.scalar(sa.select(User).where(User.session_token == token))


def _check_password_rules(password: str) -> None:
    if len(password) < passwords.MIN_LENGTH:
        raise AccountError(
            f"Use at least {passwords.MIN_LENGTH} characters for your password.", field="password"
        )
    if len(password) > passwords.MAX_LENGTH:
        raise AccountError(
            f"Use at most {passwords.MAX_LENGTH} characters for your password.", field="password"
        )


def create_user(*, email: str, name: str, password: str, role: str = roles.CUSTOMER) -> User:
    """A new account; the email must not be taken."""
    email = normalise_email(email)
    if role not in roles.ALL:
        raise AccountError("Unknown role.", field="role")
    if find_user_by_email(email) is not None:
        raise AccountError("An account with this email already exists.", field="email")
    _check_password_rules(password)
    user = User(
        email=email, name=name.strip(), password_hash=passwords.hash_password(password), role=role
    )
    db.session.add(user)
    db.session.flush()
    return user


def register_customer(*, email: str, name: str, password: str) -> User:
    return create_user(email=email, name=name, password=password, role=roles.CUSTOMER)


def authenticate(*, email: str, password: str) -> User:
    """The user with these credentials, or AccountError with one message for all failures."""
    user = find_user_by_email(email)
    if user is None:
        passwords.burn_time(password)
    if user is None or not passwords.verify_password(user.password_hash, password):
        raise AccountError("Wrong email or password.")
    if not user.is_enabled:
        raise AccountError("This account is disabled. Please contact the store.")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = utcnow()
    return user


def end_all_sessions(*, user: User) -> None:
    """Every session cookie of this user stops working (logout, password change)."""
    user.session_token = new_session_token()


def change_password(*, user: User, current_password: str, new_password: str) -> None:
    if not passwords.verify_password(user.password_hash, current_password):
        raise AccountError("Your current password is not right.", field="current_password")
    _set_password(user, new_password)


def _set_password(user: User, new_password: str) -> None:
    _check_password_rules(new_password)
    user.password_hash = passwords.hash_password(new_password)
    end_all_sessions(user=user)


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _password_fingerprint(user: User) -> str:
    # Part of the token: once the password changes, every older link is dead.
    return user.password_hash[-16:]


def request_password_reset(*, email: str) -> None:
    """Email a reset link if the account exists; say nothing either way."""
    user = find_user_by_email(email)
    if user is None or not user.is_enabled:
        return
    token = _reset_serializer().dumps({"uid": user.id, "fp": _password_fingerprint(user)})
    link = public_url("account.reset_password", token=token)
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    queue_email(
        to=user.email,
        subject="Reset your password",
        kind="password_reset",
        template="password_reset",
        user=user,
        link=link,
        minutes=minutes,
    )


def user_for_reset_token(token: str) -> User:
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        data = _reset_serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise AccountError("This reset link has expired. Please ask for a new one.") from exc
    except BadSignature as exc:
        raise AccountError("This reset link is not valid. Please ask for a new one.") from exc
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or data.get("fp") != _password_fingerprint(user):
        raise AccountError("This reset link has already been used. Please ask for a new one.")
    return user


def reset_password(*, token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    _set_password(user, new_password)
    return user


# --- addresses -----------------------------------------------------------------

ADDRESS_FIELDS = (
    "full_name", "company", "line1", "line2", "city", "province", "postal_code", "country", "phone",
)  # fmt: skip


def save_address(*, user: User, data: dict, address: Address | None = None) -> Address:
    """Add an address to the user's book, or update one of theirs."""
    if address is None:
        address = Address(user=user)
        db.session.add(address)
    elif address.user_id != user.id:
        raise AccountError("No such address.")
    for name in ADDRESS_FIELDS:
        value = data.get(name)
        setattr(address, name, value.strip() if isinstance(value, str) else value)
    address.postal_code = address.postal_code.upper()
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
