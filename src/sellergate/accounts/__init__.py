"""Accounts: sellers, personal API tokens, secure links and the bearer check."""
