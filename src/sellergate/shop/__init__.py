"""The shop domain: products, variants, listings, orders and customers, each bound to a seller."""
