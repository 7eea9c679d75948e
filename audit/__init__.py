"""The append-only, hash-chained event log: who, acting for which organisation, did what, when."""
