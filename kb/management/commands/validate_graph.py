"""Check the stored knowledge base, or an interchange file before importing it.

Reports cycles, isolated concepts and concepts without an hours estimate or a
resource; exits 1 when it finds any, so CI and scripts can gate on it. `--strict`
adds the editorial rules of kb.editorial (loop stages without practice, required
prerequisites harder than their target, foundational concepts buried deep, highly
weighted concepts without a question, resources without minutes).
"""

from pathlib import Path

from django.core.management.base import CommandError

from kb import editorial, integrity, io
from kb.errors import ImportFailed
from kb.management.commands._base import KnowledgeBaseCommand


class Command(KnowledgeBaseCommand):
    help = "Report cycles, isolated concepts and concepts without hours or resources."

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", help="Check this interchange file against the database instead (no write)."
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Also apply the editorial rules (with --file: to the database as the file "
            "would leave it).",
        )

    def handle(self, *args, file: str | None, strict: bool, **options):
        if file:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"--file: {file} does not exist or is not a file")
            text = path.read_bytes()
            try:
                if strict:
                    problems = editorial.check_file(text)
                else:
                    io.import_text(text, dry_run=True)
                    problems = []
            except ImportFailed as exc:
                raise CommandError(exc.message) from exc
            self._report(problems, f"{file}: no problems found", f"in {file}")
            return
        problems = integrity.audit().problems
        if strict:
            problems += editorial.check_database()
        self._report(problems, "The knowledge base has no problems.", "in the knowledge base")

    def _report(self, problems: list[str], success: str, where: str) -> None:
        for problem in problems:
            self.stdout.write(self.style.ERROR(problem))
        if problems:
            raise CommandError(f"{len(problems)} problem(s) found {where}")
        self.stdout.write(self.style.SUCCESS(success))
