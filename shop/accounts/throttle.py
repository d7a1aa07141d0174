"""Per-account throttling: after a few failures for one email, a growing wait.

The client-address limit (Flask-Limiter) stops one machine; this stops many machines
guessing one account. Counted in the database, so every process and host sees the
same count. The wait grows 1, 2, 4 ... minutes and is capped (15 by default), so an
attacker can slow a customer down but never lock them out for long, and a password
reset always works. Unknown emails are counted exactly like known ones.
"""

import hashlib
import hmac
import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from shop import locks
from shop.accounts import audit
from shop.accounts.models import AccountThrottle
from shop.db import utcnow
from shop.extensions import db

LOGIN = "login"
PASSWORD_CHANGE = "password_change"
EMAIL_REQUEST = "email_request"  # reset links and registration emails asked for an address
SECOND_FACTOR = "second_factor"  # wrong codes at sign-in, over every sign-in of the account


def key_digest(key: str) -> str:
    """A keyed hash of the normalised email: the same for every process, not reversible."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, key.strip().lower().encode(), hashlib.sha256).hexdigest()


def _row(scope: str, key: str, *, lock: bool = False) -> AccountThrottle | None:
    conditions = (AccountThrottle.scope == scope, AccountThrottle.key_digest == key_digest(key))
    if lock:
        return locks.lock_account_throttle(*conditions)
    return db.session.scalar(sa.select(AccountThrottle).where(*conditions))


def seconds_locked(*, scope: str, key: str) -> int:
    """How many seconds this account must still wait before it may try again (0: none)."""
    row = _row(scope, key)
    now = utcnow()
    if row is None or row.locked_until is None or row.locked_until <= now:
        return 0
    return math.ceil((row.locked_until - now).total_seconds())


def record_failure(*, scope: str, key: str) -> int:
    """Count one failure; the seconds of the wait it starts (0: none yet)."""
    now = utcnow()
    row = _locked_row(scope, key, now)
    if now - row.last_failure_at > timedelta(seconds=_setting("FORGET_SECONDS")):
        row.failures = 0  # a long quiet spell: start counting again
    row.failures += 1
    row.last_failure_at = now
    seconds = _wait_after(row.failures)
    if seconds:
        row.locked_until = now + timedelta(seconds=seconds)
    db.session.flush()
    if seconds:
        audit.log_event("account_locked", email=key, scope=scope, wait_seconds=seconds)
    return seconds


def clear(*, scope: str, key: str) -> None:
    """Forget the failures of this account (it proved who it is)."""
    db.session.execute(
        sa.delete(AccountThrottle).where(
            AccountThrottle.scope == scope, AccountThrottle.key_digest == key_digest(key)
        )
    )


def _locked_row(scope: str, key: str, now: datetime) -> AccountThrottle:
    row = _row(scope, key, lock=True)
    if row is not None:
        return row
    try:
        with db.session.begin_nested():  # another request may insert the same row now
            row = AccountThrottle(
                scope=scope, key_digest=key_digest(key), failures=0, last_failure_at=now
            )
            db.session.add(row)
    except IntegrityError:
        row = _row(scope, key, lock=True)
    return row


def _wait_after(failures: int) -> int:
    free = _setting("AFTER")
    if failures < free:
        return 0
    # Exponent capped first: a huge count must not build a huge number.
    doubling = min(failures - free, 16)
    return min(_setting("FIRST_SECONDS") * 2**doubling, _setting("MAX_SECONDS"))


def _setting(name: str) -> int:
    return int(current_app.config[f"ACCOUNT_LOCKOUT_{name}"])
