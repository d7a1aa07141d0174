"""?ref=CODE on any storefront page: the visitor was sent by a commission agent.

The code of an active agent is kept in the session, so the order placed later
(in the same browser session) carries the agent and their rate. An unknown or
inactive code is ignored and leaves an earlier referral as it was.
"""

from flask import Flask, request

from shop.accounting.agents import remember_referral

PARAM = "ref"
NOT_STOREFRONT = ("backoffice", "webhooks", "media")


def note_referral() -> None:
    code = request.args.get(PARAM)
    if code and request.blueprint not in NOT_STOREFRONT and request.endpoint != "static":
        remember_referral(code)


def register(app: Flask) -> None:
    app.before_request(note_referral)
