"""The orders' periodic jobs, run by cron through `flask orders ...`.

A job is not a request: it commits its own work, batch by batch, so that what
it has done is kept even when a later batch fails, and the locks it holds are
let go of soon.
"""

from shop.db import utcnow
from shop.extensions import db
from shop.orders import services


def expire_unpaid_orders(
    *, now=None, batch_size: int = services.EXPIRY_BATCH
) -> tuple[list[str], list[str]]:
    """Expire every order still waiting for payment after its time.

    Returns the numbers expired and those that failed (each is logged). Safe to
    run twice at once: each copy takes only the orders no one else holds.
    """
    now = now or utcnow()
    expired: list[str] = []
    failed: list[str] = []
    after_id = 0
    while True:
        batch = services.expire_due_orders(now=now, after_id=after_id, limit=batch_size)
        db.session.commit()
        if batch.last_id is None:
            return expired, failed
        expired += batch.expired
        failed += batch.failed
        after_id = batch.last_id
