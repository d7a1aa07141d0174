"""Planning the stock: demand forecasts per variant (forecast.py, the method; demand.py, the
weekly sales and the stored forecasts) and the reorder suggestions built on them
(reorder.py). Above purchasing and the owner's reports, whose periods, filters and tables
it reuses."""
