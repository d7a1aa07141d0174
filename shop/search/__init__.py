"""The storefront's search: words in any form, a typo forgiven, SKUs and barcodes, ranked,
with facets. `search_catalogue` (shop.search.services) is the one door."""
