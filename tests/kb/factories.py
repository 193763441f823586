"""Small helpers that build knowledge-base rows for tests."""

from kb.models import Concept, Prerequisite


def make_concepts(*slugs: str, hours: float | None = 1, area: str = "fundamentals") -> dict:
    return {
        slug: Concept.objects.create(
            slug=slug, title=slug.replace("-", " ").title(), area=area, hours=hours
        )
        for slug in slugs
    }


def make_edges(*specs: str, kind: str = "required") -> None:
    """make_edges("a>b", "b>c") creates a -> b and b -> c, creating missing concepts."""
    for spec in specs:
        source, target = spec.split(">")
        for slug in (source, target):
            if not Concept.objects.filter(slug=slug).exists():
                make_concepts(slug)
        Prerequisite.objects.create(
            prerequisite=Concept.objects.get(slug=source),
            concept=Concept.objects.get(slug=target),
            kind=kind,
        )
