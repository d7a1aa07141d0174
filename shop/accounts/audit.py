"""Security events as one JSON line each on the "shop.security" logger.

Lines say what happened, to which account and from where; never a password, a
token or a whole email address (the address is masked: "c***@example.com").
"""

import json
import logging

from flask import Flask, has_request_context, request

logger = logging.getLogger("shop.security")
# Kept at INFO whatever the application's level: a successful login is worth a line.
logger.setLevel(logging.INFO)


def mask_email(email: str) -> str:
    """The first letter and the domain: enough to recognise, not enough to collect."""
    local, _, domain = email.strip().lower().partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def log_event(event: str, *, user=None, email: str | None = None, **fields) -> None:
    """Log one security event (login_succeeded, login_failed, account_locked, ...)."""
    if user is not None and email is None:
        email = user.email
    line = {
        "event": event,
        "user_id": user.id if user is not None else None,
        "email": mask_email(email) if email else None,
        "ip": request.remote_addr if has_request_context() else None,
        **fields,
    }
    # JSON keeps a hostile value (a newline in an email) from forging another line.
    logger.info(json.dumps(line, ensure_ascii=False))


def register(app: Flask) -> None:
    """Make sure the lines are written somewhere even when no logging is set up.

    Creating the app's logger ("shop") gives it Flask's handler, the server's error
    stream (gunicorn's error log), unless logging was configured already; "shop.security"
    lines propagate to it.
    """
    app.logger.debug("security events go to the %s logger", logger.name)
