"""The second factor: an authenticator app (TOTP, RFC 6238) and single-use recovery codes.

Signing in with a factor takes two steps. The password starts a LoginChallenge (a row,
so that wrong codes are counted however often a copy of the cookie is sent again); a
code from the app, or a recovery code, finishes it. Nobody is logged in before that.
The owner and the bookkeeper must have a factor: after their password they set one up
before they get in. Everyone else may turn one on from their account page.
"""

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app

from shop import locks
from shop.accounts import audit, roles, throttle
from shop.accounts.errors import AccountError
from shop.accounts.models import LoginChallenge, RecoveryCode, TotpFactor, User
from shop.accounts.services import check_current_password, end_all_sessions, refuse_while_locked
from shop.db import utcnow
from shop.extensions import db

log = logging.getLogger(__name__)

REQUIRED_ROLES = (roles.OWNER, roles.BOOKKEEPER)
MAX_TRIES = 5  # wrong codes in one sign-in; then the password step again
CHALLENGE_MINUTES = 10  # the code must follow the password within this time
DRIFT_STEPS = 1  # the codes of the period before and after are accepted too (slow clocks)
TOTP_DIGITS = 6
RECOVERY_CODE_COUNT = 10
# 12 characters of 31 (no 0/o, 1/l/i): about 59 bits each, so a fast hash (SHA-256) of
# the code is enough to keep it secret, as for any random token.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"

WRONG_CODE = "That code is not right."
USED_CODE = "That code has already been used. Please wait for the next one."
WRONG_PASSWORD = "Your password is not right."
CODE_WAIT = "Too many wrong codes for this account. Please wait {wait} and try again."


class SignInEnded(AccountError):
    """The code step is over (too many wrong codes, or too late): log in again."""


@dataclass
class SignIn:
    """A finished second step: who, whether to remember the device, recovery codes left."""

    user: User
    remember: bool
    recovery_codes_left: int | None = None  # set when a recovery code was used


def required_for(user: User) -> bool:
    """Whether this user's role may not sign in without a second factor."""
    return user.role in REQUIRED_ROLES


def factor_of(user: User, lock: bool = False) -> TotpFactor | None:
    """The user's confirmed authenticator, if any."""
    factor = _factor_row(user.id, lock)
    return factor if factor is not None and factor.confirmed_at is not None else None


def has_factor(user: User) -> bool:
    """Whether the user signs in with a confirmed authenticator."""
    return factor_of(user) is not None


def users_with_factor(user_ids: list[int]) -> set[int]:
    """Which of these users have a confirmed factor (for the staff list)."""
    query = sa.select(TotpFactor.user_id).where(
        TotpFactor.user_id.in_(user_ids), TotpFactor.confirmed_at.is_not(None)
    )
    return set(db.session.scalars(query))


def recovery_codes_left(user: User) -> int:
    """How many of the user's recovery codes are still unused."""
    query = sa.select(sa.func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
    )
    return db.session.scalar(query)


def _factor_row(user_id: int, lock: bool = False) -> TotpFactor | None:
    if lock:  # while a code is checked, so two requests cannot both spend the same code
        return locks.lock_totp_factor(user_id)
    return db.session.scalar(sa.select(TotpFactor).where(TotpFactor.user_id == user_id))


# --- enrolment ---------------------------------------------------------------------


def start_enrolment(*, user: User, shown: str | None = None) -> TotpFactor:
    """A new secret for the user's app, not in use until confirmed.

    shown: secret_digest() of the secret this browser was shown, kept on reload. Any
    other unconfirmed secret is replaced: it may have been seen by someone else past
    the password, who must not hold the secret the real user then confirms.
    """
    factor = _factor_row(user.id)
    if factor is not None and factor.confirmed_at is not None:
        raise AccountError("Two-step sign-in is already on.")
    if factor is None:
        factor = TotpFactor(user_id=user.id, secret=pyotp.random_base32())
        db.session.add(factor)
    elif shown is None or not hmac.compare_digest(shown, secret_digest(factor.secret)):
        factor.secret, factor.last_used_step = pyotp.random_base32(), None
    db.session.flush()
    return factor


def secret_digest(secret: str) -> str:
    """What a browser keeps of the secret it was shown (not the secret itself)."""
    return _digest(secret)


def confirm_enrolment(*, user: User, code: str) -> list[str]:
    """Turn the factor on once a code from the app matches; its recovery codes, shown once.

    Every session of the account ends (a stolen cookie must not outlive the new factor);
    the caller keeps the one that turned it on."""
    factor = _factor_row(user.id, lock=True)
    if factor is None or factor.confirmed_at is not None:
        raise AccountError("Please start setting up two-step sign-in again.")
    _spend_totp(factor, code)
    factor.confirmed_at = utcnow()
    end_all_sessions(user=user)
    return _new_recovery_codes(user)


def enrol_directly(*, user: User, secret: str | None = None) -> str:
    """Give the user a confirmed factor at once (the demo's accounts); its secret."""
    factor = _factor_row(user.id)
    if factor is None:
        factor = TotpFactor(user_id=user.id, secret=secret or pyotp.random_base32())
        db.session.add(factor)
    factor.confirmed_at = utcnow()
    db.session.flush()
    return factor.secret


def setup_uri(*, user: User, factor: TotpFactor) -> str:
    """The otpauth:// link an authenticator app reads from the QR code."""
    issuer = current_app.config["STORE_NAME"]
    return pyotp.TOTP(factor.secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_code_svg(uri: str) -> str:
    """The QR code of the link as inline SVG, drawn here (nothing is fetched)."""
    return segno.make(uri, error="m").svg_inline(scale=5, dark="#1d2b22", light="#ffffff")


def turn_off(*, user: User, password: str, code: str) -> None:
    """The user removes their factor, proving both the password and a current code."""
    if required_for(user):
        raise AccountError("Your role needs two-step sign-in; it stays on.")
    _prove(user, password, code)
    _remove_factor(user)


def renew_recovery_codes(*, user: User, password: str, code: str) -> list[str]:
    """Ten new recovery codes for the old ones (used up or lost); shown once."""
    _prove(user, password, code)
    return _new_recovery_codes(user)


def _prove(user: User, password: str, code: str) -> None:
    """The password and a code of the user's factor, checked before changing it."""
    factor = factor_of(user, lock=True)
    if factor is None:
        raise AccountError("Two-step sign-in is off.")
    check_current_password(user=user, password=password, field="password", wrong=WRONG_PASSWORD)
    try:
        _spend_code(user, factor, code)
    except AccountError as err:
        raise AccountError(err.message, field="code") from err


def reset_for(*, user: User, acting: User | None) -> None:
    """The owner removes another staff member's lost factor (acting None: the command
    line, for any account); they set it up again at their next sign-in."""
    if acting is not None and user.id == acting.id:
        raise AccountError(
            "Use your own account page to change your two-step sign-in; "
            "another owner can reset it for you."
        )
    if acting is not None and not user.is_staff:
        raise AccountError("Only staff accounts are managed here.")
    _remove_factor(user)
    end_all_sessions(user=user)
    by = f"by_user_id={acting.id}" if acting is not None else "by=command-line"
    log.info("second factor reset user_id=%s %s", user.id, by)


def _remove_factor(user: User) -> None:
    for model in (TotpFactor, RecoveryCode, LoginChallenge):
        db.session.execute(sa.delete(model).where(model.user_id == user.id))


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["-".join(_random_chunk() for _ in range(3)) for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_digest(_normalise(c))) for c in codes
    )
    db.session.flush()
    return codes


def _random_chunk() -> str:
    return "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(4))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


# --- codes ---------------------------------------------------------------------------


def _spend_code(user: User, factor: TotpFactor, code: str) -> int | None:
    """Accept a current app code or an unused recovery code; recovery codes left if one."""
    code = _normalise(code)
    if len(code) == TOTP_DIGITS and code.isdigit():
        _spend_totp(factor, code)
        return None
    row = db.session.scalar(
        sa.select(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _digest(code)
        )  # normalised above
        .where(RecoveryCode.used_at.is_(None))
    )
    if row is None:
        raise AccountError(WRONG_CODE)
    row.used_at = utcnow()
    db.session.flush()
    return recovery_codes_left(user)


def _spend_totp(factor: TotpFactor, code: str) -> None:
    step = _matching_step(factor.secret, _normalise(code))
    if step is None:
        raise AccountError(WRONG_CODE)
    if factor.last_used_step is not None and step <= factor.last_used_step:
        raise AccountError(USED_CODE)
    factor.last_used_step = step


def _matching_step(secret: str, code: str) -> int | None:
    totp = pyotp.TOTP(secret)
    now = totp.timecode(time.time())
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        # As bytes: compare_digest refuses str with digits beyond ASCII (١, １).
        if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()):
            return step
    return None


# --- the second step of signing in -------------------------------------------------


def begin_sign_in(*, user: User, remember: bool) -> str:
    """After the right password: a challenge for the code (or enrolment); its token."""
    too_old = utcnow() - timedelta(minutes=CHALLENGE_MINUTES)
    db.session.execute(
        sa.delete(LoginChallenge).where(
            LoginChallenge.user_id == user.id, LoginChallenge.created_at < too_old
        )
    )
    token = secrets.token_urlsafe(32)
    db.session.add(LoginChallenge(user_id=user.id, token_hash=_digest(token), remember=remember))
    db.session.flush()
    return token


def challenged_user(token: str | None) -> User | None:
    """Whose sign-in this token continues, while it is still open."""
    challenge = _open_challenge(token)
    return db.session.get(User, challenge.user_id) if challenge else None


def finish_sign_in(*, token: str, code: str) -> SignIn:
    """The second step: a right code ends the challenge; a wrong one counts (commit it)."""
    challenge, user = _challenge_and_user(token)
    factor = factor_of(user, lock=True)
    if factor is None:
        raise SignInEnded("Please log in again.")
    # The password step starts a new challenge at will: the account's count of wrong
    # codes, kept across them, is what stops guessing (wait 1, 2, 4 ... 15 minutes).
    refuse_while_locked(throttle.SECOND_FACTOR, user.email, CODE_WAIT, field="code")
    left = _spend_or_count(challenge, lambda: _spend_counted(user, factor, code))
    throttle.clear(scope=throttle.SECOND_FACTOR, key=user.email)
    return SignIn(user=user, remember=challenge.remember, recovery_codes_left=left)


def _spend_counted(user: User, factor: TotpFactor, code: str) -> int | None:
    try:
        return _spend_code(user, factor, code)
    except AccountError as err:
        audit.log_event("login_code_failed", user=user)
        if err.message != USED_CODE:  # a right code entered twice is no guess
            throttle.record_failure(scope=throttle.SECOND_FACTOR, key=user.email)
        raise


def finish_enrolment(*, token: str, code: str) -> tuple[SignIn, list[str]]:
    """The second step of a user who must set up a factor first: confirm it, get in."""
    challenge, user = _challenge_and_user(token)
    codes = _spend_or_count(challenge, lambda: confirm_enrolment(user=user, code=code))
    return SignIn(user=user, remember=challenge.remember), codes


def _challenge_and_user(token: str) -> tuple[LoginChallenge, User]:
    challenge = _open_challenge(token, lock=True)
    user = db.session.get(User, challenge.user_id) if challenge else None
    if challenge is None or user is None or not user.is_active:
        raise SignInEnded("Please log in again.")
    return challenge, user


def _spend_or_count(challenge: LoginChallenge, spend):
    """Run spend(); a wrong code counts against the challenge, the last one ends it."""
    try:
        result = spend()
    except AccountError as err:
        challenge.failures += 1
        left = MAX_TRIES - challenge.failures
        if left <= 0:
            db.session.delete(challenge)
            db.session.flush()
            raise SignInEnded("Too many wrong codes. Please log in again.") from err
        db.session.flush()
        message = err.message if err.message != WRONG_CODE else _tries_left(left)
        raise AccountError(message, field="code") from err
    db.session.delete(challenge)
    db.session.flush()
    return result


def _tries_left(left: int) -> str:
    return f"{WRONG_CODE} {left} {'try' if left == 1 else 'tries'} left."


def _open_challenge(token: str | None, lock: bool = False) -> LoginChallenge | None:
    if not token:
        return None
    conditions = (
        LoginChallenge.token_hash == _digest(token),
        LoginChallenge.created_at >= utcnow() - timedelta(minutes=CHALLENGE_MINUTES),
    )
    if lock:
        return locks.lock_login_challenge(*conditions)
    return db.session.scalar(sa.select(LoginChallenge).where(*conditions))
