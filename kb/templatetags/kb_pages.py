"""Template filters of the knowledge-base pages."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def hours(value: float | Decimal | None) -> str:
    """Study hours as people write them: 2, 1.5, 0.25 (not 2.00 or 1.50); a dash when unknown."""
    if value is None or value == "":
        return "\N{EN DASH}"
    return f"{round(float(value), 2):g}"
