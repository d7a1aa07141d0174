"""/healthz: for the load balancer and the monitoring, no login, never cached."""

from flask import Blueprint, jsonify

from shop.extensions import limiter
from shop.health import OK, run_checks

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    checks = run_checks()
    healthy = all(result == OK for result in checks.values())
    response = jsonify(status="ok" if healthy else "failing", checks=checks)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
