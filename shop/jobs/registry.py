"""Every job the queue knows, by name: the name is what is queued and what a JobRun
records; the function (module:attribute, imported when the job runs, so this package
imports no domain code) does the work and returns a line saying what it did."""

JOBS = {
    "outbox.deliver": "shop.chores:deliver_mail",
    "orders.expire": "shop.chores:expire_orders",
    "backorders.allocate": "shop.chores:allocate_backorders",
    "backorders.repromise": "shop.chores:repromise_backorders",
    "backorders.report": "shop.chores:backorder_report",
    "reorder.report": "shop.chores:reorder_report",
    "forecasts.refresh": "shop.chores:refresh_forecasts",
    "documents.batch": "shop.fulfilment.batches:make_batch",
    "payouts.demo": "shop.chores:demo_payouts",
    "refunds.retry": "shop.chores:retry_refunds",
    "housekeeping.purge": "shop.housekeeping.purge:nightly_purge",
}

# What each job does, as the back office's Chores page names it.
TITLES = {
    "outbox.deliver": "Deliver emails",
    "orders.expire": "Release the stock of unpaid orders",
    "backorders.allocate": "Give free stock to waiting backorders",
    "backorders.repromise": "Re-date backorders of late purchase orders",
    "backorders.report": "Email the backorder list",
    "reorder.report": "Email the reorder list",
    "forecasts.refresh": "Refresh demand forecasts",
    "payouts.demo": "Pay out the demo provider's takings",
    "refunds.retry": "Ask the provider again for refunds not made yet",
    "housekeeping.purge": "Forget old guest carts, sent mail, provider events, job runs",
    "documents.batch": "Draw a batch of packing slips or labels",
}
