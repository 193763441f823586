"""Shared plumbing for the kb commands: domain errors become CommandError (exit 1)."""

from django.core.management.base import BaseCommand, CommandError

from kb.errors import ApplicationError


class KnowledgeBaseCommand(BaseCommand):
    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc


def split_slugs(raw: str | None) -> list[str]:
    """'a, b,,c' -> ['a', 'b', 'c']."""
    return [part.strip() for part in (raw or "").split(",") if part.strip()]
