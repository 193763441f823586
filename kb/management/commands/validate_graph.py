"""Check the stored knowledge base, or an interchange file before importing it.

Reports cycles, isolated concepts and concepts without an hours estimate or a
resource; exits 1 when it finds any, so CI and scripts can gate on it.
"""

from pathlib import Path

from django.core.management.base import CommandError

from kb import integrity, io
from kb.errors import ImportFailed
from kb.management.commands._base import KnowledgeBaseCommand


class Command(KnowledgeBaseCommand):
    help = "Report cycles, isolated concepts and concepts without hours or resources."

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", help="Check this interchange file against the database instead (no write)."
        )

    def handle(self, *args, file: str | None, **options):
        if file:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"--file: {file} does not exist or is not a file")
            try:
                io.import_text(path.read_bytes(), dry_run=True)
            except ImportFailed as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(self.style.SUCCESS(f"{file}: no problems found"))
            return
        audit = integrity.audit()
        for problem in audit.problems:
            self.stdout.write(self.style.ERROR(problem))
        if audit.problems:
            raise CommandError(f"{len(audit.problems)} problem(s) found in the knowledge base")
        self.stdout.write(self.style.SUCCESS("The knowledge base has no problems."))
