"""Backorders: the queue of order lines waiting for stock, served oldest first (queue.py),
their ship dates re-promised when purchase orders move (repromise.py), and the
purchase-order use cases that move them: sending, re-dating, cancelling and receiving
(purchase_orders.py). Above orders, inventory and purchasing, which it calls."""
