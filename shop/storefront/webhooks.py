"""Webhooks from payment providers: raw body, verified signature, no CSRF (it is not a form)."""

from flask import Blueprint, current_app, request
from sqlalchemy.exc import IntegrityError

from shop import stripe_webhooks
from shop.extensions import csrf, db
from shop.payments import stripe_gateway

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@bp.post("/stripe")
@csrf.exempt
def stripe_events():
    payload = request.get_data(cache=False)
    try:
        outcome = stripe_webhooks.handle_webhook(payload, request.headers.get("Stripe-Signature"))
    except stripe_gateway.BadWebhook as err:
        db.session.rollback()
        current_app.logger.warning("Stripe webhook refused: %s", err)
        return {"error": "invalid signature"}, 400
    except stripe_gateway.StripeUnavailable as err:
        # Nothing is kept, and the error makes Stripe deliver the event again later.
        db.session.rollback()
        return {"error": err.message}, 503
    except IntegrityError:
        # The same event delivered twice at the same moment: the other copy applied it.
        db.session.rollback()
        return {"outcome": "duplicate"}, 200
    db.session.commit()
    return {"outcome": outcome}, 200
