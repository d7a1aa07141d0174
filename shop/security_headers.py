"""Security headers on every response, set by Flask-Talisman, and who may cache what.

The Content-Security-Policy lets scripts come only from our own static/ files (no
inline script, no on* attribute, no eval), styles from our files or an element
carrying this response's nonce (pygal's chart styles), and nothing from the
internet; no page may be framed. Whatever belongs to a signed-in person, the
account and checkout pages, the back office and every export is marked no-store.
"""

from urllib.parse import urlsplit

from flask import Flask, Response, has_request_context, request
from flask_login import current_user
from flask_talisman import Talisman

SELF = "'self'"
# The review and pay forms are answered by a redirect to Stripe's payment page, and
# browsers check form-action on that redirect too.
STRIPE_CHECKOUT = "https://checkout.stripe.com"
POLICY = {
    "default-src": SELF,
    "script-src": SELF,
    "style-src": SELF,  # and the response's nonce
    "img-src": f"{SELF} data:",  # a QR code or thumbnail drawn as a data: URI
    "font-src": SELF,
    "connect-src": SELF,
    "object-src": "'none'",
    "base-uri": SELF,
    "form-action": f"{SELF} {STRIPE_CHECKOUT}",
    "frame-ancestors": "'none'",  # no one can frame "cancel order" under a decoy
}
# Chromium shows a PDF as an object embedding the response's own URL.
PDF_POLICY = {**POLICY, "object-src": SELF}
PERMISSIONS = {"camera": "()", "microphone": "()", "geolocation": "()", "browsing-topics": "()"}

# two_factor: its pages come before the session starts (the code step, and the set-up
# page that shows the secret of an owner's authenticator), under /account/ too.
PRIVATE_BLUEPRINTS = {"account", "backoffice", "cart", "checkout", "two_factor"}
PUBLIC_FILES = {"static", "media.image"}
NO_STORE = "private, no-store"
DOWNLOADS = {"application/pdf", "text/csv"}


def register(app: Flask) -> None:
    """Bind Talisman with the store's policy; our after_request runs after Talisman's."""
    app.after_request(_after_request)  # registered first, so it runs last
    config = app.config
    # One Talisman per app: it keeps its options on itself, so a shared instance
    # would give every app the settings of the last one made.
    app.extensions["talisman"] = Talisman(
        app,
        content_security_policy=_policy(config),
        content_security_policy_nonce_in=["style-src"],
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy=PERMISSIONS,
        force_https=False,  # the TLS proxy in front redirects http to https
        strict_transport_security=bool(config["HSTS_MAX_AGE"]),
        strict_transport_security_max_age=config["HSTS_MAX_AGE"],
        strict_transport_security_include_subdomains=False,
        # Talisman would otherwise overwrite the cookie settings of config.py.
        session_cookie_secure=config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=config["SESSION_COOKIE_HTTPONLY"],
        session_cookie_samesite=config["SESSION_COOKIE_SAMESITE"],
    )


def _policy(config) -> dict:
    """Images may also come from MEDIA_PUBLIC_URL's origin (a bucket or CDN), when set."""
    public = config.get("MEDIA_PUBLIC_URL")
    if not public:
        return POLICY
    parts = urlsplit(public)
    return {**POLICY, "img-src": f"{POLICY['img-src']} {parts.scheme}://{parts.netloc}"}


def style_nonce() -> str:
    """This response's nonce for a <style> element ("" outside a request)."""
    return getattr(request, "csp_nonce", "") if has_request_context() else ""


def _after_request(response: Response) -> Response:
    if response.mimetype == "application/pdf":
        response.headers["Content-Security-Policy"] = _header(PDF_POLICY)
    if _private(response):
        response.headers["Cache-Control"] = NO_STORE
    return response


def _private(response: Response) -> bool:
    if request.endpoint in PUBLIC_FILES:
        return False
    return (
        request.blueprint in PRIVATE_BLUEPRINTS
        or response.mimetype in DOWNLOADS
        or response.headers.get("Content-Disposition", "").startswith("attachment")
        or current_user.is_authenticated
    )


def _header(policy: dict) -> str:
    return "; ".join(f"{name} {sources}" for name, sources in policy.items())
