"""Put a consolidated sanctions list in force and screen every producer and buyer against it.

    manage.py import_sanctions consolidated.xml --source "UN Security Council consolidated list" --by ana@red.example
    manage.py import_sanctions lista.csv --source "Lista nacional" --format csv --by ana@red.example

The file is the UN Security Council consolidated list in XML (`--format un-xml`) or a CSV with the header
`reference,kind,name,aliases,documents` (`--format csv`); without `--format` a file starting with `<` is read as
the UN XML. It replaces the list of the same source in one transaction, audited under the reviewer or staff
member named by `--by`. A file with a problem changes nothing: the command names the line and stops, and the list
in force stays in force. docs/diligence.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Membership, Organization
from core.actor import Actor
from core.errors import DomainError
from diligence.sanctions import FORMATS
from diligence.screening import sanctions_import

MAX_FILE_BYTES = 100 * 1024 * 1024


def operator(email: str) -> Actor:
    """The actor an import is recorded under: a network reviewer (or admin), or a staff user."""
    user = get_user_model().objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        raise CommandError(f"--by {email}: no active user with that e-mail")
    membership = (
        Membership.objects.filter(user=user, organization__kind=Organization.Kind.NETWORK)
        .select_related("organization")
        .first()
    )
    if membership is not None:
        return Actor(user, membership.organization_id, Organization.Kind.NETWORK, membership.role)
    if user.is_staff:
        return Actor(user)
    raise CommandError(f"--by {email}: only the network's reviewers and staff import sanctions lists")


class Command(BaseCommand):
    help = "Replace one source's sanctions list with a file, and screen every producer and buyer against the lists."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the list: UN consolidated XML, or CSV")
        parser.add_argument("--source", required=True, help='whose list, e.g. "UN Security Council consolidated list"')
        parser.add_argument("--format", dest="list_format", choices=FORMATS, help="default: from the file's start")
        parser.add_argument("--by", required=True, help="e-mail of the reviewer or staff member importing it")

    def handle(self, *args: Any, path: Path, source: str, list_format: str | None, by: str, **options: Any) -> None:
        actor = operator(by)
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise CommandError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: cannot read it ({exc})") from exc
        try:
            result = sanctions_import(
                actor=actor, source=source, data=data, file_name=path.name, list_format=list_format
            )
        except DomainError as exc:
            raise CommandError(f"{exc.detail} Nothing was changed: the list in force stays in force.") from exc
        imported = result.sanctions_list
        self.stdout.write(
            f"{imported.source}: {imported.entries_count} entries in force (sha256 {imported.file_sha256[:12]}…), "
            f"replacing {len(result.superseded)} earlier list(s); screened {result.screened} organisations, "
            f"{result.flags_opened} new red flag(s)."
        )
