"""flask housekeeping purge: remove what the store no longer needs (shop.housekeeping.purge)."""

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("housekeeping")
def housekeeping_group():
    """Rows the store no longer needs."""


@housekeeping_group.command("purge")
@click.option("--guest-cart-days", type=int, help="Default: HOUSEKEEPING_GUEST_CART_DAYS.")
@click.option("--sent-mail-days", type=int, help="Default: HOUSEKEEPING_SENT_MAIL_DAYS.")
@click.option(
    "--payment-event-days", type=int, help="Default: HOUSEKEEPING_PAYMENT_EVENT_DAYS (4 at least)."
)
@with_appcontext
def purge(guest_cart_days, sent_mail_days, payment_event_days):
    """Guest carts left alone, emails sent long ago (with their attachments) and payment
    providers' events older than their days, in small batches. Safe to run at any time."""
    from shop.housekeeping import purge as purging

    config = current_app.config
    now = purging.utcnow()
    try:
        carts = purging.purge_guest_carts(
            days=_or(guest_cart_days, config["HOUSEKEEPING_GUEST_CART_DAYS"]), now=now
        )
        messages, attachments = purging.purge_sent_mail(
            days=_or(sent_mail_days, config["HOUSEKEEPING_SENT_MAIL_DAYS"]), now=now
        )
        events = purging.purge_payment_events(
            days=_or(payment_event_days, config["HOUSEKEEPING_PAYMENT_EVENT_DAYS"]), now=now
        )
    except purging.PurgeError as err:
        raise click.ClickException(str(err)) from None
    click.echo(str(purging.PurgeCounts(carts, messages, attachments, events)))


def _or(given, default):
    return default if given is None else given
