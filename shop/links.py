"""Links that leave the store (emails, payment return pages, jobs), built from its public
address BASE_URL: never from the Host header of the request being served, which anyone
can set, and the same from a cron job as from a page."""

from urllib.parse import urlsplit

from flask import Flask, current_app
from werkzeug.routing import MapAdapter


def public_url(endpoint: str, **values) -> str:
    """The absolute address of an endpoint at the store's public address."""
    app = current_app._get_current_object()
    app.inject_url_defaults(endpoint, values)
    return _public_adapter(app).build(endpoint, values, force_external=True)


def _public_adapter(app: Flask) -> MapAdapter:
    base = urlsplit(app.config["BASE_URL"])
    return app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)


def register(app: Flask) -> None:
    """Templates (emails above all) build their links with public_url(...)."""
    app.add_template_global(public_url)
