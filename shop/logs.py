"""Logging: one line per record on stderr, JSON in production, readable text elsewhere;
a request id on every record of a request and in its X-Request-ID header; one access
line per request on the "shop.access" logger.

The store owns one handler on the root logger (so the lines of every library reach it
once); Flask's own handler is not added. Under gunicorn, whose error and access loggers
do not propagate, leave gunicorn's access log off (no --access-logfile): the store's
access line replaces it. Under werkzeug (flask run / flask serve) its request lines are
dropped for the same reason; its other lines (the address it serves) stay.
"""

import logging
import re
import secrets
import time

from flask import Flask, g, has_request_context, request, request_finished, request_started
from pythonjsonlogger.json import JsonFormatter

HANDLER_NAME = "shop"
HEADER = "X-Request-ID"
# An id from the proxy is kept when it is sane: a bounded length, a plain charset (no
# spaces, quotes or control characters that could forge a log line or a header).
INCOMING_ID = re.compile(r"[A-Za-z0-9._:@+=/-]{1,128}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"
QUIET_PATHS = ("/healthz",)  # polled every few seconds: their access lines are DEBUG

access_logger = logging.getLogger("shop.access")


def configure(app: Flask) -> None:
    """The store's handler on the root logger, at LOG_LEVEL, in LOG_FORMAT."""
    level = _level(app.config["LOG_LEVEL"])
    root = logging.getLogger()
    handler = next((h for h in root.handlers if h.get_name() == HANDLER_NAME), None)
    if handler is None:  # once per process: a second app (the tests) reuses it
        handler = logging.StreamHandler()
        handler.set_name(HANDLER_NAME)
        handler.addFilter(RequestFields())
        root.addHandler(handler)
    handler.setFormatter(_formatter(log_format(app.config)))
    root.setLevel(level)
    from flask.logging import default_handler

    logging.getLogger(app.name).removeHandler(default_handler)
    register_request_ids(app)


def log_format(config) -> str:
    chosen = config.get("LOG_FORMAT") or ("json" if config["STORE_ENV"] == "production" else "text")
    if chosen not in ("json", "text"):
        from shop.configuration.loading import ConfigurationError

        raise ConfigurationError(f"STORE_LOG_FORMAT must be json or text, not {chosen!r}.")
    return chosen


def _level(name) -> int:
    level = logging.getLevelName(str(name).upper())
    if not isinstance(level, int):
        from shop.configuration.loading import ConfigurationError

        raise ConfigurationError(
            f"STORE_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {name!r}."
        )
    return level


def _formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        return JsonFormatter(
            JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}
        )
    return logging.Formatter(TEXT_FORMAT)


class RequestFields(logging.Filter):
    """Every record says which request it belongs to ("-" outside a request); werkzeug's
    own request lines are dropped (the store writes its own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "werkzeug" and str(record.msg).rstrip().endswith('"%s" %s %s'):
            return False
        record.request_id = current_request_id() or "-"
        return True


def current_request_id() -> str | None:
    if not has_request_context():
        return None
    if "request_id" not in g:
        incoming = request.headers.get(HEADER, "")
        g.request_id = incoming if INCOMING_ID.fullmatch(incoming) else secrets.token_hex(16)
    return g.request_id


def register_request_ids(app: Flask) -> None:
    request_started.connect(_started, app)
    request_finished.connect(_finished, app)
    app.after_request(_send_request_id)


def _started(app: Flask, **_extra) -> None:
    g.request_started = time.perf_counter()
    current_request_id()


def _send_request_id(response):
    response.headers[HEADER] = current_request_id()
    return response


def loggable_path() -> str:
    """The path, or for a route whose path holds a secret (a reset or registration link's
    token) its pattern: /account/reset-password/<token>."""
    rule = request.url_rule
    if rule is not None and any("token" in name for name in rule.arguments):
        return rule.rule
    return request.path


def _finished(app: Flask, response, **_extra) -> None:
    """The access line: method, path (never the query string, nor a token in the path),
    status, time, request id, and the user when one is logged in."""
    started = g.get("request_started")
    took = round((time.perf_counter() - started) * 1000, 1) if started else None
    user = g.get("_login_user")  # only when the request loaded it: no query for this line
    user_id = user.id if user is not None and getattr(user, "is_authenticated", False) else None
    path = loggable_path()
    quiet = path in QUIET_PATHS and response.status_code < 400
    access_logger.log(
        logging.DEBUG if quiet else logging.INFO,
        "%s %s %s %sms user=%s",
        request.method,
        path,
        response.status_code,
        took,
        user_id if user_id is not None else "-",
        extra={
            "method": request.method,
            "path": path,
            "status": response.status_code,
            "duration_ms": took,
            "user_id": user_id,
        },
    )
