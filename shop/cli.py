"""flask commands: seed-demo, serve, jobs, and the chores by hand (outbox deliver, orders
expire, backorders report/allocate/repromise, reorder report, forecasts refresh, payouts
demo, refunds retry: the same jobs the worker's schedule runs, shop/chores.py)."""

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from shop.extensions import db
from shop.housekeeping.cli import housekeeping_group
from shop.jobs.cli import jobs_group, serve
from shop.media.cli import media_group


def register(app: Flask) -> None:
    app.cli.add_command(outbox)
    app.cli.add_command(seed_demo)
    app.cli.add_command(orders_group)
    app.cli.add_command(backorders_group)
    app.cli.add_command(reorder_group)
    app.cli.add_command(forecasts_group)
    app.cli.add_command(accounts_group)
    app.cli.add_command(payouts_group)
    app.cli.add_command(refunds_group)
    app.cli.add_command(housekeeping_group)  # ops: flask housekeeping purge
    app.cli.add_command(jobs_group)
    app.cli.add_command(serve)
    app.cli.add_command(media_group)


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the store has any product.")
@click.option("--seed", default=None, type=int, help="Random seed (the same seed, the same store).")
@click.option(
    "--history", is_flag=True,
    help="Also write a year of past sales (orders, shipments, invoices, books) into a store "
    "that has none.",
)  # fmt: skip
def seed_demo(if_empty: bool, seed: int | None, history: bool):
    """Fill an empty store with a demo catalogue, stock, suppliers and staff accounts."""
    import time

    from shop import demo

    if current_app.config["STORE_ENV"] == "production":
        # Its staff accounts have the passwords printed in shop/demo/people.py.
        raise click.ClickException(
            "seed-demo fills a demo store and does not run with STORE_ENV=production: its "
            "staff accounts (owner@example.com, ...) have passwords anyone can read in the "
            "source. Nothing was changed."
        )
    if demo.store_has_products():
        if if_empty:
            if history and not _store_has_orders():
                _seed_history(seed)
                return
            click.echo("The store already has products; seed-demo left it as it is.")
            return
        raise click.ClickException(
            "The store already has products; seed-demo only fills an empty store."
        )
    started = time.perf_counter()
    result = demo.seed_demo(demo.DEFAULT_SEED if seed is None else seed)
    db.session.commit()
    click.echo(
        f"Demo store ready in {time.perf_counter() - started:.1f} s: {result.products} products, "
        f"{result.variants} variants ({result.units} units in stock), {result.categories} "
        f"categories, {result.images} images."
    )
    if history:
        _seed_history(seed)
    click.echo("")
    click.echo(demo.login_table(result.logins))


def _store_has_orders() -> bool:
    import sqlalchemy as sa

    from shop.orders.models import Order

    return db.session.scalar(sa.select(Order.id).limit(1)) is not None


def _seed_history(seed: int | None) -> None:
    """The demo's past year of sales, in one transaction."""
    from shop import demo
    from shop.clock import store_today
    from shop.db import refresh_statistics
    from shop.planning.demand import refresh_forecasts

    result = demo.generate_history(seed=demo.HISTORY_SEED if seed is None else seed)
    db.session.commit()
    click.echo(result.summary())
    refresh_statistics(db)
    click.echo(f"Demand forecasts: {refresh_forecasts(store_today())} variants.")
    db.session.commit()


def _run(name: str) -> None:
    """Run a job here and print what it did (cron lines and hand runs use these)."""
    from shop.jobs.queue import run_job

    click.echo(run_job(name))


@click.group()
def outbox():
    """The email outbox."""


@outbox.command("deliver")
@click.option("--limit", default=500, show_default=True)
def outbox_deliver(limit: int):
    """Deliver every email that is due (the job worker does this every minute)."""
    from shop.chores import deliver_mail

    click.echo(deliver_mail(limit))


@click.group("orders")
def orders_group():
    """Orders."""


@orders_group.command("expire")
def orders_expire():
    """Expire unpaid orders past their time and release their stock (every minute)."""
    _run("orders.expire")


@click.group("backorders")
def backorders_group():
    """Backorders: the daily list."""


@backorders_group.command("report")
def backorders_report():
    """Email the backorder list to the warehouse staff and the owner (every morning).

    Late purchase orders are re-promised first (as `backorders repromise`), so the list
    and the customers have the same new dates."""
    _run("backorders.report")


@backorders_group.command("allocate")
def backorders_allocate():
    """Give free stock to waiting paid backorders, oldest first (every few minutes)."""
    _run("backorders.allocate")


@backorders_group.command("repromise")
def backorders_repromise():
    """Late purchase orders get a new expected date; the backorders waiting for them (and
    those whose date has passed) move to it, and each customer is emailed once."""
    _run("backorders.repromise")


@click.group("forecasts")
def forecasts_group():
    """Demand forecasts per variant, which the reorder list reads."""


@forecasts_group.command("refresh")
def forecasts_refresh():
    """Fit every variant's weekly sales again (nightly, before the reorder report)."""
    _run("forecasts.refresh")


@click.group("reorder")
def reorder_group():
    """Reordering: variants below their reorder point."""


@reorder_group.command("report")
def reorder_report():
    """Email the reorder list to the warehouse staff and the owner (every morning)."""
    _run("reorder.report")


@click.group("accounts")
def accounts_group():
    """Accounts: what the owner cannot do from the back office."""


@accounts_group.command("reset-second-factor")
@click.argument("email")
def accounts_reset_second_factor(email: str):
    """Remove an account's lost authenticator (e.g. the only owner's); they set it up again."""
    from shop.accounts import second_factor
    from shop.accounts.services import find_user_by_email

    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account uses {email}.")
    second_factor.reset_for(user=user, acting=None)
    db.session.commit()
    click.echo(f"Two-step sign-in of {user.email} is reset; their sessions are ended.")


@accounts_group.command("create-owner")
@click.argument("email")
@click.option("--name", default="Owner", show_default=True, help="The name shown to staff.")
@click.password_option(help="Asked for when not given (hidden, twice).")
def accounts_create_owner(email: str, name: str, password: str):
    """The store's first owner (the way in on a production store, where seed-demo refuses)."""
    from shop.accounts import roles
    from shop.accounts.errors import AccountError
    from shop.accounts.services import create_user

    try:
        user = create_user(email=email, name=name, password=password, role=roles.OWNER)
    except AccountError as error:
        raise click.ClickException(
            f"{error.field}: {error}" if error.field else str(error)
        ) from error
    db.session.commit()
    click.echo(
        f"Owner {user.email} created. Sign in at the back office; the first sign-in sets up "
        "the authenticator app (two-step sign-in is required for the owner)."
    )


@click.group("payouts")
def payouts_group():
    """Payouts: the payment processor's money to the bank."""


@payouts_group.command("demo")
def payouts_demo():
    """Pay out what the demo provider cleared each day up to yesterday (every morning)."""
    _run("payouts.demo")


@click.group("refunds")
def refunds_group():
    """Refunds."""


@refunds_group.command("retry")
def refunds_retry():
    """Ask the payment provider again for refunds it could not make yet (every few minutes)."""
    _run("refunds.retry")
