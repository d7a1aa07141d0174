"""Registering as a customer does: name and email, then the password from the email."""

import re

import sqlalchemy as sa

from shop.extensions import db
from shop.notifications.models import OutboxMessage


def outbox(to: str) -> list[OutboxMessage]:
    """The emails written to this address, oldest first."""
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.to_address == to)
            .order_by(OutboxMessage.id)
        )
    )


def emailed_link(to: str, path: str) -> str:
    """The path of the store's link starting with `path` in the last email to this address."""
    message = outbox(to)[-1]
    return re.search(rf"http://shop\.test({path}\S*)", message.body_text).group(1)


def register(client, email: str, password: str = "long enough pw", confirm=None, **kwargs):
    """Both steps of registration; the response of the second."""
    client.post("/account/register", data={"name": kwargs.pop("name", "New Bie"), "email": email})
    link = emailed_link(email.lower(), "/account/register/")
    return client.post(link, data={"password": password, "confirm": confirm or password}, **kwargs)
