"""Housekeeping: rows the store no longer needs, removed in small batches (purge.py),
from `flask housekeeping purge` (cli.py) or the nightly job "housekeeping.purge"."""
