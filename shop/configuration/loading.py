"""Loading configuration in three layers: the defaults (shop.configuration.defaults),
instance/config.py, then STORE_* and well-known environment variables; and the checks
that refuse to start production with unsafe values."""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from flask import Flask

from shop.configuration.defaults import Config, ProductionConfig, TestConfig, environment_name
from shop.private_files import private_folder, write_private

# Well-known environment variables, read without the STORE_ prefix.
PLAIN_ENV = (
    "SECRET_KEY", "DATABASE_URL", "SMTP_URL", "MAIL_FROM", "REDIS_URL", "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
)  # fmt: skip
UNSAFE_KEYS = {None, "", "dev", "change-me", "secret"}
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"  # where `make run` serves the store
LOCAL_HOSTS = ("localhost", "127.0.0.1")


class ConfigurationError(RuntimeError):
    """The configuration is unsafe or incomplete; the app refuses to start."""


def load(app: Flask, test_config: dict | None) -> None:
    """Defaults, then instance/config.py, then the environment (or the test mapping)."""
    private_folder(Path(app.instance_path))
    env = "testing" if test_config is not None else environment_name()
    app.config.from_object({"production": ProductionConfig, "testing": TestConfig}.get(env, Config))
    app.config["STORE_ENV"] = env
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        for name in PLAIN_ENV:
            if os.environ.get(name):
                app.config[name] = os.environ[name]
        app.config.from_prefixed_env("STORE")
    else:
        app.config.from_mapping(test_config)

    if app.config.get("REDIS_URL") and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(app)
    app.config["SECRET_KEY"] = secret_key(app, env)
    app.config["BASE_URL"] = base_url(app, env)
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app, env)
    app.config["PROXY_HOPS"] = proxy_hops(app)


def database_uri(app: Flask) -> str:
    url = app.config.get("SQLALCHEMY_DATABASE_URI") or app.config.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + str(Path(app.instance_path) / "store.db")
    # Hosting providers hand out postgres:// URLs; we drive PostgreSQL with psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def secret_key(app: Flask, env: str) -> str:
    key = app.config.get("SECRET_KEY")
    if env == "production":
        if key in UNSAFE_KEYS or len(key) < 32:
            raise ConfigurationError(
                "SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        return key
    if key not in UNSAFE_KEYS:
        return key
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        write_private(path, secrets.token_hex(32).encode())
    return path.read_text().strip()


def base_url(app: Flask, env: str) -> str:
    """The store's public address, without a trailing slash; every outside link starts
    with it (shop.links)."""
    value = app.config.get("BASE_URL")
    if not value:
        if env == "production":
            raise ConfigurationError(
                "STORE_BASE_URL must be set in production to the store's public address, "
                "e.g. https://shop.example.com: links in emails and payment pages are built "
                "from it, never from the Host header of a request."
            )
        return DEVELOPMENT_BASE_URL
    parts = urlsplit(str(value).strip())
    if not _is_web_address(parts):
        raise ConfigurationError(
            "STORE_BASE_URL must be an http:// or https:// address such as "
            f"https://shop.example.com (a path such as /shop may follow), not {value!r}."
        )
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _is_web_address(parts) -> bool:
    try:
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and parts.username is None
        and not parts.query
        and not parts.fragment
    )


def trusted_hosts(app: Flask, env: str) -> list[str]:
    """The hosts a request may name: BASE_URL's, those listed in TRUSTED_HOSTS (a list or
    comma-separated text; ".example.com" allows every subdomain), and in development
    localhost. Werkzeug answers any other Host with 400."""
    extra = app.config.get("TRUSTED_HOSTS") or []
    if isinstance(extra, str):
        extra = extra.split(",")
    hosts = [urlsplit(app.config["BASE_URL"]).hostname, *(h.strip().lower() for h in extra)]
    if env == "development":
        hosts += LOCAL_HOSTS
    return list(dict.fromkeys(h for h in hosts if h))


def proxy_hops(app: Flask) -> int:
    """How many proxies in front of the store to believe about the client (0: none)."""
    hops = app.config.get("PROXY_HOPS", 0)
    if isinstance(hops, str) and hops.strip().isdigit():
        hops = int(hops)
    if isinstance(hops, bool) or not isinstance(hops, int) or hops < 0:
        raise ConfigurationError(
            f"STORE_PROXY_HOPS must be a whole number of proxies, 0 or more, not {hops!r}."
        )
    return hops
