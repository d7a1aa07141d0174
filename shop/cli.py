"""flask commands: seed-demo, outbox deliver, create-owner."""

import click
from flask import Flask

from shop.extensions import db


def register(app: Flask) -> None:
    app.cli.add_command(outbox)


@click.group()
def outbox():
    """The email outbox."""


@outbox.command("deliver")
@click.option("--limit", default=500, show_default=True)
def outbox_deliver(limit: int):
    """Deliver every email that is due (a scheduler runs this every minute)."""
    from shop.notifications.delivery import deliver_pending

    sent, failed = deliver_pending(limit)
    db.session.commit()
    click.echo(f"sent {sent}, failed {failed}")
