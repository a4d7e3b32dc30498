"""The ``Mutation`` root, one module per object; each mutation returns a payload with
``userErrors``."""
