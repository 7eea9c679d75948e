"""The OpenAPI schema: generation settings, the problem responses every operation documents, docs pages."""
