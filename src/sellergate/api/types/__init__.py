"""GraphQL object types, one module per domain object; each has a ``..._node`` converter."""
