"""The store's chores as jobs: each does its work, commits it and returns one line saying
what it did (kept on its JobRun and printed by its flask command).

The registry (shop.jobs.registry) names them as "shop.chores:function" and imports this
module when a job runs: the chores call use cases from every floor of the house, so they
stand at the top of the domain, above shop.jobs, which stays plumbing.

Every chore is safe to run twice at once: the work underneath claims or locks its rows
(shop.locks), so a second copy finds nothing left to do.
"""

from flask import current_app

from shop.backorders.queue import serve_backorders_from_free_stock
from shop.backorders.repromise import repromise_late
from shop.clock import store_today
from shop.extensions import db
from shop.formatting import plural
from shop.money import format_money
from shop.notifications.delivery import deliver_pending
from shop.orders.jobs import expire_unpaid_orders
from shop.payouts.services import pay_out_demo
from shop.planning.daily_lists import send_backorder_report, send_reorder_report
from shop.planning.demand import refresh_forecasts as refresh
from shop.refunds.retry import retry_due_refunds

NO_LATE_ORDER = "no late purchase order"


def deliver_mail(limit: int = 500) -> str:
    sent, failed = deliver_pending(limit)
    db.session.commit()
    return f"sent {sent}, failed {failed}"


def expire_orders() -> str:
    """Expire the unpaid orders past their time; the stock they held then goes at once to
    the paid orders waiting for it (in a transaction of its own, after the expiry's, so the
    order locks are never taken after stock locks), not at the next backorder run."""
    numbers, failed = expire_unpaid_orders()
    expired = f"expired {plural(len(numbers), 'unpaid order')}"
    line = f"{expired}: {', '.join(numbers)}" if numbers else expired
    if failed:
        line += f"; {len(failed)} could not be expired (see the log): {', '.join(failed)}"
    if numbers:
        line += f"; {allocate_backorders()}"
    return line


def allocate_backorders() -> str:
    served = serve_backorders_from_free_stock()
    db.session.commit()
    return f"allocated stock to {plural(len(served), 'order')}"


def repromise_backorders() -> str:
    done = repromise_late()
    db.session.commit()
    if not (done.purchase_orders or done.told):
        return NO_LATE_ORDER
    return (
        f"late purchase orders re-dated: {', '.join(done.purchase_orders) or 'none'}; "
        f"{plural(len(done.told), 'order')} re-dated, "
        f"{plural(len(done.emailed), 'customer')} emailed"
    )


def backorder_report() -> str:
    """Late purchase orders are re-promised first, so the list and the customers have the
    same new dates."""

    repromised = repromise_backorders()
    report = send_backorder_report()
    db.session.commit()
    units = sum(r.line.quantity_backordered for r in report.rows)
    line = (
        f"{plural(len(report.rows), 'backordered line')}, {plural(units, 'unit')}; "
        f"emailed to {len(report.recipients)} staff: {', '.join(report.recipients) or 'nobody'}"
    )
    return line if repromised == NO_LATE_ORDER else f"{line}. {repromised}"


def reorder_report() -> str:
    report = send_reorder_report()
    db.session.commit()
    units = sum(r.suggested for r in report.rows)
    return (
        f"{plural(len(report.rows), 'variant')} to reorder, {plural(units, 'unit')} suggested; "
        f"emailed to {len(report.recipients)} staff: {', '.join(report.recipients) or 'nobody'}"
    )


def refresh_forecasts() -> str:
    count = refresh(store_today())
    db.session.commit()
    return f"Demand forecasts: {plural(count, 'variant')} with 8 weeks or more of sales."


def demo_payouts() -> str:
    made = pay_out_demo()
    db.session.commit()
    config = current_app.config
    total = format_money(sum(p.amount for p in made), config["BASE_CURRENCY"], config["LOCALE"])
    return f"paid out {plural(len(made), 'day')} of the demo provider's payments: {total}"


def retry_refunds() -> str:
    run = retry_due_refunds()
    line = (
        f"refunded {len(run.succeeded)}, processing {len(run.waiting)}, "
        f"failed {len(run.failed)}, postponed {len(run.postponed)}"
    )
    if run.failed:
        line += "; failed refunds need staff: see Back office > Refunds"
    return line
