"""Signing in with a second factor in tests: the current TOTP code, computed with pyotp
(as an authenticator app would), never by calling the store's own checking code."""

import re
import time

import pyotp
import sqlalchemy as sa

from shop.accounts.models import TotpFactor, User
from shop.extensions import db

CODE_STEP_PATH = "/account/login/code"
SECRET = re.compile(r'<code class="totp-secret">([A-Z2-7]+)</code>')
CSRF_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
RECOVERY_CODE = re.compile(r"<li><code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code></li>")


def factor_of(email: str) -> TotpFactor | None:
    """The user's confirmed factor, read fresh from the database."""
    db.session.expire_all()
    return db.session.scalar(
        sa.select(TotpFactor)
        .join(User, User.id == TotpFactor.user_id)
        .where(User.email == email, TotpFactor.confirmed_at.is_not(None))
    )


def code_at(secret: str, offset_steps: int = 0) -> str:
    """The code an authenticator app shows now (or offset_steps periods from now)."""
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(time.time()) + offset_steps)


def wrong_code(secret: str) -> str:
    """Six digits that are none of the codes accepted now (or in the next period)."""
    near = {code_at(secret, offset) for offset in (-1, 0, 1, 2)}
    return next(c for c in ("123456", "654321", "111111", "999999") if c not in near)


def unused_code(secret: str, last_used_step: int | None) -> str:
    """A code the store has not seen yet: this period's, else the next one's (accepted
    one period early), else the one after that once it is due."""
    totp = pyotp.TOTP(secret)
    now = totp.timecode(time.time())
    step = max(now, (last_used_step or 0) + 1)
    while step > totp.timecode(time.time()) + 1:  # a third sign-in within ~30 s
        time.sleep(1)
    return totp.generate_otp(step)


def code_for(email: str) -> str:
    """An unused current code of this user's authenticator."""
    factor = factor_of(email)
    assert factor is not None, f"{email} has no second factor"
    return unused_code(factor.secret, factor.last_used_step)


def pass_code_step(client, response, email: str, follow: bool = False):
    """If the password step sent the browser to the code step, enter the current code."""
    location = response.headers.get("Location", "")
    if response.status_code != 302 or not location.startswith(CODE_STEP_PATH):
        return response
    data = {"code": code_for(email)}
    token = CSRF_TOKEN.search(client.get(location).get_data(as_text=True))
    if token:  # the app checks CSRF tokens (as in production)
        data["csrf_token"] = token.group(1)
    return client.post(location, data=data, follow_redirects=follow)


def secret_on(page: str) -> str:
    """The secret an enrolment page shows as text."""
    match = SECRET.search(page)
    assert match, "no secret on the page"
    return match.group(1)


def recovery_codes_on(page: str) -> list[str]:
    return RECOVERY_CODE.findall(page)
