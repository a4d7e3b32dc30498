"""The GraphQL Seller API (Strawberry). Resolvers call domain services, nothing else."""
