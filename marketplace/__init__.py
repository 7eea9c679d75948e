"""The Django project: settings, URL wiring and the WSGI/ASGI entry points."""
