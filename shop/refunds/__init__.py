"""Refunds: money given back through the payment provider, for any reason, with a credit note."""
