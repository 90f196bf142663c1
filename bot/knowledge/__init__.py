"""The structured knowledge base: content files -> database -> typed queries."""
