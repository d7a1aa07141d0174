"""An order's history as people read it: the one place with the words of each kind of
order event (shop.orders.events stores only the kind and its parameters).

Every sentence is a template with named fields, so a translation (gettext) can wrap it
and reorder the fields; the parameters' lists (items, dates moved) are joined here too.
Rows written before events were data (migration i14_event_kinds) keep their sentence
whole, as params {"text": ...}.

It sits above the packages whose labels it reads (orders, backorders, refunds, returns) and below
the pages that show it (the back office's order page, through the filter `event_text`).
"""

from collections.abc import Callable
from datetime import date

from shop.backorders.repromise import DELAY_REASONS
from shop.formatting import local_date, money, plural
from shop.orders.errors import unavailable_text
from shop.orders.models import POLICY_LABELS, OrderEvent
from shop.refunds.status import REASON_LABELS as REFUND_REASONS
from shop.returns.status import REASONS as RETURN_REASONS

NOT_REFUNDED = {
    "fee_kept": "the whole price is kept as restocking fee",
    "already_refunded": "every unit received was already refunded",
    "nothing_paid": "the order cost nothing",
}
EMAILED = {
    "confirmation": "Order confirmation emailed to {to}.",
    "refund": "Refund notice emailed to {to}.",
    "shipment": "Shipment {shipment} notice emailed to {to}.",
    "cancellation": "Cancellation notice emailed to {to}.",
}
RELEASED = {
    "payment_failed": "payment failed",
    "expired": "not paid in time",
    "cancelled": "order cancelled",
}
MAX_DATES_TEXT = 500  # what the history kept of a long list of moved dates


def _amount(p: dict) -> str:
    return money(p["amount"], p["currency"])


def _units(items: list[dict]) -> str:
    return ", ".join("{units} x {sku}".format(**item) for item in items)


def _moves(moves: list[dict]) -> str:
    return "; ".join(
        "{units} x {sku} from {old} to {new}".format(
            units=m["units"], sku=m["sku"], old=_day(m["from"]) or "no date", new=_day(m["to"])
        )
        for m in moves
    )


def _day(iso: str | None) -> str:
    """A day kept as text in an event (2026-03-02) as every page shows a date."""
    try:
        return local_date(date.fromisoformat(iso)) if iso else ""
    except (TypeError, ValueError):
        return str(iso)  # an older row's own text


def _placed(p: dict) -> str:
    policy = POLICY_LABELS[p["policy"]].lower()
    if p.get("backordered"):
        return "Order placed ({policy}); {units} backordered.".format(
            policy=policy, units=plural(p["backordered"], "unit")
        )
    return f"Order placed ({policy})."


def _paid(p: dict) -> str:
    if not p.get("amount"):  # a discount code made the order free
        return f"Nothing to pay: the order's total is {_amount(p)}."
    if p.get("method"):
        return "Payment of {money} received through {provider} by {method}.".format(
            money=_amount(p), **p
        )
    return "Payment of {money} received through {provider}.".format(money=_amount(p), **p)


def _refunded(p: dict) -> str:
    if p.get("order_cancelled"):
        why = "the order was cancelled"
    else:
        why = "no longer available: {items}".format(
            items="; ".join(map(unavailable_text, p["unavailable"]))
        )
    return "Payment of {money} refunded through {provider} ({refund_id}): {why}.".format(
        money=_amount(p), provider=p["provider"], refund_id=p["refund_id"], why=why
    )


def _cancelled(p: dict) -> str:
    if p.get("reason"):
        return "Order cancelled: {reason}.".format(**p)
    return "Order cancelled."


def _refund_decided(p: dict) -> str:
    reason = REFUND_REASONS.get(p["reason"], p["reason"]).lower()
    if p.get("note"):
        text = "Refund of {money} decided: {reason} ({note}); credit note {credit_note} issued."
    else:
        text = "Refund of {money} decided: {reason}; credit note {credit_note} issued."
    return text.format(money=_amount(p), reason=reason, note=p.get("note"),
                       credit_note=p["credit_note"])  # fmt: skip


def _refund_succeeded(p: dict) -> str:
    if p.get("reference"):
        return "Refund of {money} made through {provider} ({reference}).".format(
            money=_amount(p), provider=p["provider"], reference=p["reference"]
        )
    return "Refund of {money} made through {provider}.".format(
        money=_amount(p), provider=p["provider"]
    )


def _backorder_cancelled(p: dict) -> str:
    if p.get("by_staff"):
        return "Backordered items cancelled by staff: {items}.".format(items=_units(p["items"]))
    return "Backordered items cancelled: {items}.".format(items=_units(p["items"]))


def _delayed(p: dict) -> str:
    text = "Expected ship date moved later: {moved}. {why} Customer emailed.".format(
        moved=_moves(p["moves"]), why=DELAY_REASONS.get(p["why"], p["why"])
    )  # a row written before the reasons were codes holds the sentence itself
    return text[:MAX_DATES_TEXT]


def _sooner(p: dict) -> str:
    text = "Expected ship date moved earlier: {moved}.".format(moved=_moves(p["moves"]))
    return text[:MAX_DATES_TEXT]


def _return_requested(p: dict) -> str:
    items = ", ".join(
        "{units} x {sku} ({reason})".format(
            units=line["units"],
            sku=line["sku"],
            reason=RETURN_REASONS.get(line["reason"], line["reason"]).lower(),
        )  # fmt: skip
        for line in p["lines"]
    )
    return "Return {number} requested: {items}.".format(number=p["number"], items=items)


def _return_authorised(p: dict) -> str:
    if p.get("note"):
        return "Return {number} authorised. Note: {note}".format(**p)
    return "Return {number} authorised.".format(**p)


def _return_received(p: dict) -> str:
    if "no_refund" in p:
        return "Return {number}: {why}; no refund.".format(
            number=p["number"], why=NOT_REFUNDED[p["no_refund"]]
        )
    lines = "; ".join(
        "{resellable} resellable, {damaged} damaged of {units} x {sku}".format(**line)
        for line in p["lines"]
    )
    return "Return {number} received: {lines}.".format(number=p["number"], lines=lines)


def _return_refunded(p: dict) -> str:
    if p.get("fee"):
        text = ("Return {number} refunded: {money}, credit note {credit_note}, restocking fee "
                "of {fee} kept.")  # fmt: skip
    else:
        text = "Return {number} refunded: {money}, credit note {credit_note}."
    return text.format(
        number=p["number"], money=_amount(p), credit_note=p["credit_note"],
        fee=money(p.get("fee") or 0, p["currency"]),
    )  # fmt: skip


SENTENCES: dict[str, Callable[[dict], str]] = {
    "placed": _placed,
    "payment_started": lambda p: "Payment started with {provider}.".format(**p),
    "paid": _paid,
    "payment_failed": lambda p: "Payment failed at {provider}: {reason}".format(**p),
    "payment_rejected": lambda p: "Payment event from {provider} rejected: {reason}".format(**p),
    "refunded": _refunded,
    "email": lambda p: EMAILED[p["notice"]].format(**p),
    "released": lambda p: "Stock allocation released ({why}).".format(why=RELEASED[p["why"]]),
    "expired": lambda p: "Not paid in time; the order expired.",
    "cancelled": _cancelled,
    "invoice": lambda p: "Invoice {number} issued, marked paid.".format(**p),
    "packing": lambda p: "Shipment {shipment} started: {units} to pack.".format(
        shipment=p["shipment"], units=plural(p["units"], "unit")
    ),
    "shipped": lambda p: "Shipment {shipment} shipped: {units}, tracking {tracking}.".format(
        shipment=p["shipment"], units=plural(p["units"], "unit"), tracking=p["tracking"]
    ),
    "packing_cancelled": lambda p: "Shipment {shipment} cancelled while packing.".format(**p),
    "backorder_allocated": lambda p: (
        "Backordered stock allocated from {reference}: {items}.".format(
            reference=p["reference"], items=_units(p["items"])
        )
    ),
    "refund_decided": _refund_decided,
    "refund_succeeded": _refund_succeeded,
    "refund_failed": lambda p: "Refund of {money} failed at {provider}: {error}".format(
        money=_amount(p), provider=p["provider"], error=p["error"]
    ),
    "refund_rejected": lambda p: "Refund reported by {provider} rejected: {reason}".format(**p),
    "refund_retried": lambda p: f"Refund of {_amount(p)} sent again.",
    "backorder_cancelled": _backorder_cancelled,
    "backorder_delayed": _delayed,
    "backorder_sooner": _sooner,
    "return_requested": _return_requested,
    "return_authorised": _return_authorised,
    "return_refused": lambda p: "Return {number} refused: {note}".format(**p),
    "return_withdrawn": lambda p: "Return {number} withdrawn.".format(**p),
    "return_received": _return_received,
    "return_refunded": _return_refunded,
}


def sentence(kind: str, params: dict) -> str:
    """The words for one event; an old row's stored sentence as it was."""
    if "text" in params:  # written before i14_event_kinds
        return params["text"]
    return SENTENCES[kind](params)


def event_text(event: OrderEvent) -> str:
    return sentence(event.kind, event.params)
