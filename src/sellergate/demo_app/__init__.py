"""A demo third-party "Connect" app that integrates with sellergate through OAuth 2.0."""
