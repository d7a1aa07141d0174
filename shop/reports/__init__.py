"""The owner's reports: figures computed in SQL from orders, stock and purchase orders,
the charts that draw them, and the demand forecasts that drive reordering."""
