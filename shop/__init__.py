"""The store: create_app() builds the one Flask application."""

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from shop import extensions, logs, media, page_cache, security_headers, sqlite_engine
from shop.configuration import loading as configuration
from shop.extensions import csrf, limiter, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    instance_path = (
        (test_config or {}).get("INSTANCE_PATH")
        or os.environ.get("STORE_INSTANCE_PATH")
        or str(PROJECT_ROOT / "instance")
    )
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    configuration.load(app, test_config)
    logs.configure(app)  # before anything logs: one handler, request ids, access lines
    register_proxy(app)
    register_host_check(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_proxy(app: Flask) -> None:
    """Behind PROXY_HOPS proxies, the client's address and scheme are the ones they pass on.

    Only X-Forwarded-For and X-Forwarded-Proto: the Host header is passed on by the
    proxy and checked against TRUSTED_HOSTS, and links never depend on it (shop.links).
    """
    hops = app.config["PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def register_host_check(app: Flask) -> None:
    """First of all request hooks: a Host not in TRUSTED_HOSTS gets 400."""
    from shop.storefront.errors import refuse_untrusted_host

    app.before_request(refuse_untrusted_host)


def register_extensions(app: Flask) -> None:
    from shop import models  # noqa: F401  (every model, so migrations see them)

    extensions.db.init_app(app)
    sqlite_engine.configure_database(app, extensions.db)
    media.init_app(app)  # the image storage; a wrong setting stops the start here
    page_cache.init_app(app)  # SimpleCache in process, RedisCache on REDIS_URL
    migrate.init_app(
        app, extensions.db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True
    )
    security_headers.register(app)  # first: its nonce exists before any other hook answers
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "account.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"

    from shop.accounts import sessions
    from shop.accounts.services import load_user_by_session_token
    from shop.billing.files import register_attachment_makers
    from shop.jobs.queue import init_app as init_jobs

    login_manager.user_loader(load_user_by_session_token)
    sessions.register(app)
    init_jobs(app)
    register_attachment_makers()


def register_blueprints(app: Flask) -> None:
    from backoffice import bp as backoffice_bp
    from shop.storefront import (
        account,
        cart,
        catalogue,
        checkout,
        health,
        media,
        orders,
        referrals,
        returns,
        site_files,
        two_factor,
        webhooks,
    )
    from shop.views import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any route is added

    app.register_blueprint(health.bp)
    app.register_blueprint(site_files.bp)
    app.register_blueprint(catalogue.bp)
    app.register_blueprint(cart.bp)
    app.register_blueprint(checkout.bp)
    app.register_blueprint(orders.bp)
    app.register_blueprint(returns.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(two_factor.bp)
    app.register_blueprint(media.bp)
    app.register_blueprint(backoffice_bp)
    referrals.register(app)


def register_errorhandlers(app: Flask) -> None:
    from shop.storefront.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from backoffice.menu import register as register_menu
    from shop import links
    from shop.storefront.helpers import register

    register(app)
    register_menu(app)
    links.register(app)


def register_commands(app: Flask) -> None:
    from shop.cli import register

    register(app)
