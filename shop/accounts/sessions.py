"""How long a sign-in lasts, and the remember-me cookie (customers only).

The session cookie (signed by Flask) carries when the user signed in and when they were
last seen; before every request the limits of their kind of account are checked: staff
STAFF_SESSION_IDLE_MINUTES idle and STAFF_SESSION_MAX_HOURS in all, customers
CUSTOMER_SESSION_IDLE_HOURS and CUSTOMER_SESSION_MAX_DAYS. A copied cookie cannot
outlive them: the times are inside the signature. "Remember me" is our own signed,
timed cookie (Flask-Login's has no age the server checks): it starts a new session on
that device until REMEMBER_ME_DAYS after the sign-in, for customers only. Every cookie
names the user's session token; a new token (each sign-in, logout, password change,
"sign out everywhere") ends them all.
"""

import time
from datetime import timedelta

from flask import Flask, current_app, flash, g, request, session
from flask_login import current_user, login_user, logout_user, user_logged_out
from itsdangerous import BadSignature, URLSafeTimedSerializer

from shop.accounts.models import User

REMEMBER_COOKIE = "remember_me"
REMEMBER_SALT = "remember-me"
SIGNED_IN_AT = "_signed_in_at"
SEEN_AT = "_seen_at"
CSRF_KEY = "csrf_token"  # where Flask-WTF keeps the raw CSRF token in the session
# The idle clock is kept to the minute, so that not every response rewrites the cookie.
TOUCH_EVERY_SECONDS = 60


def register(app: Flask) -> None:
    """Check every request's session against the limits; write or clear remember-me."""
    app.before_request(enforce_limits)
    app.after_request(_write_remember_cookie)
    user_logged_out.connect(_forget_device, app)


def start(user: User, *, remember: bool) -> None:
    """Log the user in to a fresh session (their new session token is committed)."""
    session.pop(CSRF_KEY, None)  # a token planted before the sign-in is no good after it
    login_user(user)
    session[SIGNED_IN_AT] = session[SEEN_AT] = int(time.time())
    if remember and not user.is_staff:
        g.remember_me = user.get_id()
    else:
        g.remember_me = None


def keep_this_session(user: User) -> None:
    """After the user's token changed here (sign out everywhere): this session goes on,
    with its old times; this device's remember-me is forgotten like every other."""
    login_user(user)
    g.remember_me = None


def enforce_limits() -> None:
    """before_request: end a session past its limits; resume a remembered device."""
    if request.endpoint == "static":
        return
    if current_user.is_authenticated:
        ended = _limit_passed(current_user)
        if ended is None:
            _touch()
            return
        _end_session()
        if _resume_remembered_device() is None:
            flash(ended, "info")
        return
    if REMEMBER_COOKIE in request.cookies:
        _resume_remembered_device()


def _limit_passed(user: User) -> str | None:
    """Why this session is over, or None while it is within its limits."""
    signed_in, seen = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if signed_in is None or seen is None:  # a session from before these limits
        return "Please log in again."
    now = time.time()
    cfg = current_app.config
    if user.is_staff:
        idle = timedelta(minutes=cfg["STAFF_SESSION_IDLE_MINUTES"])
        longest = timedelta(hours=cfg["STAFF_SESSION_MAX_HOURS"])
        idle_text = f"{cfg['STAFF_SESSION_IDLE_MINUTES']} minutes"
        longest_text = f"{cfg['STAFF_SESSION_MAX_HOURS']} hours"
    else:
        idle = timedelta(hours=cfg["CUSTOMER_SESSION_IDLE_HOURS"])
        longest = timedelta(days=cfg["CUSTOMER_SESSION_MAX_DAYS"])
        idle_text = f"{cfg['CUSTOMER_SESSION_IDLE_HOURS']} hours"
        longest_text = f"{cfg['CUSTOMER_SESSION_MAX_DAYS']} days"
    if now - seen >= idle.total_seconds():
        return f"You were signed out after {idle_text} without activity."
    if now - signed_in >= longest.total_seconds():
        return f"You were signed out after {longest_text}. Please log in again."
    return None


def _touch() -> None:
    now = int(time.time())
    if now - session[SEEN_AT] >= TOUCH_EVERY_SECONDS:
        session[SEEN_AT] = now


def _end_session() -> None:
    logout_user()
    for key in (SIGNED_IN_AT, SEEN_AT, CSRF_KEY):
        session.pop(key, None)


def _resume_remembered_device() -> User | None:
    """A new session from a valid remember-me cookie of a customer, else forget the cookie."""
    user = _remembered_user(request.cookies.get(REMEMBER_COOKIE))
    if user is None:
        if REMEMBER_COOKIE in request.cookies:
            g.remember_me = None
        return None
    login_user(user, fresh=False)
    session[SIGNED_IN_AT] = session[SEEN_AT] = int(time.time())
    g.pop("remember_me", None)  # the session ended, the device is still remembered
    return user


def _remembered_user(value: str | None) -> User | None:
    from shop.accounts.services import load_user_by_session_token

    if not value:
        return None
    max_age = current_app.config["REMEMBER_ME_DAYS"] * 86400
    try:
        token = _serializer().loads(value, max_age=max_age)
    except BadSignature:  # also when it is older than REMEMBER_ME_DAYS
        return None
    user = load_user_by_session_token(token) if isinstance(token, str) else None
    if user is None or not user.is_active or user.is_staff:
        return None
    return user


def _forget_device(_app, **_extra) -> None:
    g.remember_me = None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=REMEMBER_SALT)


def _write_remember_cookie(response):
    """after_request: set the cookie at a remembered sign-in, clear it when it is forgotten."""
    if "remember_me" not in g:
        return response
    token = g.pop("remember_me")
    cfg = current_app.config
    options = {
        "httponly": True,
        "secure": cfg["SESSION_COOKIE_SECURE"],
        "samesite": cfg["SESSION_COOKIE_SAMESITE"],
    }
    if token:
        max_age = cfg["REMEMBER_ME_DAYS"] * 86400
        response.set_cookie(REMEMBER_COOKIE, _serializer().dumps(token), max_age=max_age, **options)
    elif REMEMBER_COOKIE in request.cookies:
        response.delete_cookie(REMEMBER_COOKIE, **options)
    return response
