"""Where a right password leads: straight in, to the code step, or to setting up a
second factor first; and starting the session once the user is through."""

from flask import redirect, request, session, url_for

from shop.accounts import second_factor, services, sessions
from shop.cart.services import merge_guest_cart
from shop.extensions import db
from shop.storefront.helpers import is_safe_next

PENDING = "pending_sign_in"  # the token of the LoginChallenge between the two steps


def after_password(user, remember: bool = False):
    """The password was right: log in, or ask for the second step first."""
    enrolled = second_factor.has_factor(user)
    if not enrolled and not second_factor.required_for(user):
        return start_session(user, remember)
    session[PENDING] = second_factor.begin_sign_in(user=user, remember=remember)
    db.session.commit()
    step = "two_factor.code" if enrolled else "two_factor.enrol_at_login"
    return redirect(url_for(step, next=request.args.get("next")))


def log_in(user, remember: bool = False) -> None:
    """Log the user in with a new session token (every older cookie of theirs dies)."""
    session.pop(PENDING, None)
    merge_guest_cart(user=user)
    services.end_all_sessions(user=user)
    db.session.commit()
    sessions.start(user, remember=remember)


def landing_url(user) -> str:
    """Where a signed-in user goes: the safe ?next= page, else their home page."""
    target = request.args.get("next")
    if is_safe_next(target):
        return target
    return url_for("backoffice.dashboard" if user.is_staff else "account.overview")


def start_session(user, remember: bool = False):
    """Log in and go where the user was going (or their home page)."""
    log_in(user, remember)
    return redirect(landing_url(user))
