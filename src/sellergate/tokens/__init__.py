"""Token format and hashing: pure functions, no I/O."""
