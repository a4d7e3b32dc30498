"""sellergate: a self-hostable Seller API platform."""
