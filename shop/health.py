"""Is this copy of the store able to serve? The checks behind /healthz.

Each check answers "ok" or a short reason made of an error's class name alone: never
its message, which may hold a URL, a host or a password.
"""

import sqlalchemy as sa
from flask import current_app

from shop.extensions import db

OK = "ok"
REDIS_TIMEOUT_SECONDS = 1.0  # a load balancer waits a few seconds for the whole answer


def check_database() -> str:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception as error:  # any driver's error: the database cannot be used
        return _failed("database unreachable", error)
    finally:
        _forget_session()
    return OK


def check_redis() -> str | None:
    """None when no REDIS_URL is set (nothing to check)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    try:
        _redis_client(url).ping()
    except Exception as error:
        return _failed("redis unreachable", error)
    return OK


def check_jobs() -> str:
    from shop import jobs

    health = getattr(jobs, "health", None)
    if health is None:  # a queue without a health check of its own
        return OK
    try:
        problem = health()
    except Exception as error:
        return _failed("job queue unreachable", error)
    return problem or OK


def run_checks() -> dict[str, str]:
    """Every check by name; those that do not apply are left out."""
    checks = {"database": check_database(), "redis": check_redis(), "jobs": check_jobs()}
    return {name: result for name, result in checks.items() if result is not None}


def _failed(what: str, error: Exception) -> str:
    return f"{what}: {type(error).__name__}"


def _forget_session() -> None:
    try:
        db.session.rollback()
    except Exception:  # a connection that died under us: drop it, answer anyway
        db.session.invalidate()


def _redis_client(url: str):
    """One client per app and URL, with short timeouts, so a check reuses its connection."""
    import redis

    clients = current_app.extensions.setdefault("health_redis", {})
    if url not in clients:
        clients[url] = redis.Redis.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            retry_on_timeout=False,
        )
    return clients[url]
