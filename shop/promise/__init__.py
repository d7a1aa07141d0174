"""Available to promise: how many a customer can have now, and the ship date of the rest, from
free stock (shop.inventory) and the open purchase orders (shop.purchasing) with the
backorders already waiting for them. Above inventory and purchasing, below the cart."""
