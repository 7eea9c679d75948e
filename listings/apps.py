from typing import Any

from django.apps import AppConfig


class ListingsConfig(AppConfig):
    name = "listings"
    verbose_name = "Listings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db import connections
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from listings import (
            notification_kinds,  # noqa: F401  (registers the kinds)
            search_cache,
        )

        connection_created.connect(search_cache.install, dispatch_uid="listings.search_cache")
        connection_created.connect(_sqlite_functions, dispatch_uid="listings.sqlite_functions")
        post_migrate.connect(search_cache.forget_readiness, dispatch_uid="listings.search_cache")
        post_migrate.connect(_rebuild_search_index, sender=self, dispatch_uid="listings.search_index")
        for connection in connections.all(initialized_only=True):
            search_cache.install(connection)
            if connection.connection is not None:
                _sqlite_functions(connection)


def _sqlite_functions(connection: Any, **kwargs: Any) -> None:
    """The search fallback's `oro_fold` (listings.search_index.fold_text) on SQLite connections."""
    if connection.vendor == "sqlite":
        from listings.search_index import fold_text

        connection.connection.create_function("oro_fold", 1, fold_text, deterministic=True)


def _rebuild_search_index(using: str = "default", plan: Any = None, **kwargs: Any) -> None:
    """After migrations ran (a migration may change what decides a listing's visibility), the search read model
    is rebuilt from its inputs: nothing to do on an empty database, seconds on a large one."""
    from django.db import connections

    from listings import search_index

    if plan and "listings_searchentry" in connections[using].introspection.table_names():
        search_index.producers_changed()
