"""Domain errors: each has a stable `code` that the API, CLI and admin report as is."""

from collections.abc import Mapping, Sequence
from typing import Any


class ApplicationError(Exception):
    """Base of every error a user can cause; never a 500."""

    code = "application_error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class UnknownConcept(ApplicationError):
    """Slugs that name no concept, each with the slugs it probably meant (kb.search).

    `details` is `{field: slugs}`, plus `suggestions: {slug: [slug, ...]}` when there are
    any, so a client can offer them without parsing the message.
    """

    code = "unknown_concept"

    def __init__(
        self,
        slugs: Sequence[str],
        *,
        field: str = "concept",
        suggestions: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        slugs = list(slugs)
        self.suggestions = {
            slug: list(suggestions[slug]) for slug in slugs if suggestions and suggestions.get(slug)
        }
        names = ", ".join(f"{s!r}{did_you_mean(self.suggestions.get(s, ()))}" for s in slugs)
        noun = "concept" if len(slugs) == 1 else "concepts"
        details: dict[str, Any] = {field: slugs}
        if self.suggestions:
            details["suggestions"] = self.suggestions
        super().__init__(f"{field}: unknown {noun} {names}", details=details)
        self.slugs = slugs


class InvalidPrerequisite(ApplicationError):
    """An edge that the graph cannot take: self-loop, duplicate, cycle."""

    code = "invalid_prerequisite"


class SelfLoop(InvalidPrerequisite):
    code = "prerequisite_self_loop"

    def __init__(self, slug: str) -> None:
        super().__init__(
            f"a concept cannot be its own prerequisite: {slug} -> {slug}",
            details={"concept": slug},
        )


class DuplicatePrerequisite(InvalidPrerequisite):
    code = "prerequisite_duplicate"

    def __init__(self, prerequisite: str, concept: str) -> None:
        super().__init__(
            f"the edge {prerequisite} -> {concept} already exists",
            details={"prerequisite": prerequisite, "concept": concept},
        )


class PrerequisiteCycle(InvalidPrerequisite):
    code = "prerequisite_cycle"

    def __init__(self, cycle: Sequence[str]) -> None:
        self.cycle = list(cycle)
        super().__init__(
            f"this edge would close a cycle: {format_cycle(self.cycle)}",
            details={"cycle": self.cycle},
        )


class ConceptHasDependents(ApplicationError):
    code = "concept_has_dependents"

    def __init__(self, slug: str, dependents: Sequence[str]) -> None:
        self.dependents = sorted(dependents)
        super().__init__(
            f"cannot delete {slug!r}: it is a prerequisite of {', '.join(self.dependents)}; "
            "delete with reconnect to link its prerequisites to them directly",
            details={"concept": slug, "dependents": self.dependents},
        )


class NoPath(ApplicationError):
    code = "no_prerequisite_path"

    def __init__(self, source: str, target: str) -> None:
        super().__init__(
            f"no prerequisite chain leads from {source!r} to {target!r}",
            details={"from": source, "to": target},
        )


class ImportFailed(ApplicationError):
    """An interchange file with problems; nothing was written."""

    code = "import_failed"

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        listing = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} found, nothing imported:\n{listing}",
            details={"problems": self.problems},
        )


def format_cycle(cycle: Sequence[str]) -> str:
    """`['a', 'b', 'a']` -> `'a -> b -> a'`."""
    return " -> ".join(cycle)


def did_you_mean(suggestions: Sequence[str]) -> str:
    """`['a', 'b']` -> `" (did you mean: 'a', 'b'?)"`; nothing to suggest -> `""`."""
    if not suggestions:
        return ""
    return f" (did you mean: {', '.join(repr(s) for s in suggestions)}?)"
