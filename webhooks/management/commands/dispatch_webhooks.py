from typing import Any

from django.core.management.base import BaseCommand

from webhooks.services import dispatch_events


class Command(BaseCommand):
    help = "Turn the audit events not read yet into webhook events and deliveries (what beat does every few seconds)."

    def handle(self, *args: Any, **options: Any) -> None:
        read = deliveries = 0
        while True:
            done = dispatch_events()
            read, deliveries = read + done.read, deliveries + done.deliveries
            if not done.read:
                break
        self.stdout.write(f"{read} audit events read, {deliveries} deliveries asked for")
