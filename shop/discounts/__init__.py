"""Discount codes: what the owner offers (percentage, fixed amount, free shipping), the
rules that decide what a cart gets, and their redemption at checkout."""
