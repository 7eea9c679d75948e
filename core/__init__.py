"""Cross-cutting plumbing shared by every app: problem details, parsing, pagination, throttles,
idempotency, money and gold units, validators, the clock and health checks. Imports no other app."""
