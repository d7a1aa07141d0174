"""Error pages in the store's layout; JSON for API and webhook paths."""

from flask import Flask, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import SecurityError

from shop.accounts import audit
from shop.extensions import db

MESSAGES = {
    400: ("Bad request", "We could not understand that request."),
    403: ("Not allowed", "Your account may not open this page."),
    404: ("Page not found", "We could not find that page. It may have moved."),
    405: ("Not allowed", "That action is not possible on this page."),
    413: ("Too large", "The file you sent is too large."),
    429: ("Slow down", "Too many attempts. Please wait a minute and try again."),
    500: ("Something went wrong", "An error on our side stopped this page. Nothing was changed."),
}


def _render(code: int, message: str | None = None):
    title, default = MESSAGES.get(code, MESSAGES[500])
    if request.path.startswith("/api/"):
        return {"error": message or default}, code
    return render_template(
        "errors/error.html", code=code, title=title, message=message or default
    ), code


def _refuse_nul_characters():
    """No text we search for may hold a NUL character (PostgreSQL refuses them).

    Forms check their own fields, so the message stands beside the field.
    """
    if any("\x00" in value for value in request.args.values()) or "\x00" in request.path:
        return _render(400, "The request held a character that cannot be used (NUL).")
    return None


def refuse_untrusted_host():
    """Refuse a request for a host the store does not serve before any other check of the
    request runs (and builds a page that cannot be built for that host)."""
    if isinstance(request.routing_exception, SecurityError):
        raise request.routing_exception


def _untrusted_host(err):
    # The Host header names a site this store is not (TRUSTED_HOSTS). No URL can be built
    # for it, so not the store's layout either: the refusal alone.
    message = "This store does not answer to that address."
    if request.path.startswith("/api/"):
        return {"error": message}, 400
    page = f"<!doctype html><title>Bad request</title><h1>Bad request</h1><p>{message}</p>"
    return page, 400


def register(app: Flask) -> None:
    audit.register(app)
    app.before_request(_refuse_nul_characters)
    app.register_error_handler(SecurityError, _untrusted_host)
    for code in (400, 404, 405, 413, 429):
        app.register_error_handler(code, lambda err, code=code: _render(code))

    @app.errorhandler(403)
    def _forbidden(err):
        user = current_user if current_user.is_authenticated else None
        audit.log_event("forbidden", user=user, method=request.method, path=request.path)
        return _render(403)

    @app.errorhandler(CSRFError)
    def _csrf(err):
        return _render(400, "Your form expired or came from another site. Please try again.")

    @app.errorhandler(500)
    def _server_error(err):
        db.session.rollback()
        return _render(500)
