"""Why stock moved. Every stock movement carries one of these."""

INITIAL = "initial"  # opening balance when a variant is created
RECEIPT = "receipt"  # goods received from a supplier
SHIPMENT = "shipment"  # goods left in a parcel to a customer
ADJUSTMENT = "adjustment"  # a manual correction (damaged, found, lost)
COUNT = "count"  # the difference found by a stock count
RETURN = "return"  # a customer sent goods back
COUNTER_SALE = "counter_sale"  # sold over the counter

LABELS = {
    INITIAL: "Opening stock",
    RECEIPT: "Receipt",
    SHIPMENT: "Shipment",
    ADJUSTMENT: "Adjustment",
    COUNT: "Stock count",
    RETURN: "Customer return",
    COUNTER_SALE: "Counter sale",
}
# What staff may choose when they adjust stock by hand.
MANUAL = (ADJUSTMENT, COUNT, RETURN, RECEIPT)
