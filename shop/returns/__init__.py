"""Returns: a customer asks, staff authorise, the parcel comes back, goods restocked or scrapped."""
