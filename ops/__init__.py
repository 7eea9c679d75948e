"""Operations scripts: the two-server recipe and the fault drills of docs/deploy.md (run by .ci/run).

They start everything they need on loopback (a private PostgreSQL cluster, a private redis-server,
localstripe, gunicorn), never touch the shared services, and stop what they started even on failure.
"""
