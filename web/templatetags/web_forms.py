"""`form|fields_in_error`: what web/_form_errors.html lists at the top of a form."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms, template

register = template.Library()


@dataclass(frozen=True)
class FieldError:
    label: str
    message: str
    anchor: str  # the id of the field's first control, "" when it has none


def _anchor(field: forms.BoundField) -> str:
    """The id a link to `field` goes to: its label's target, else its first option or part
    (checkboxes, radio buttons and MultiWidgets label no single control)."""
    if field.id_for_label:
        return field.id_for_label
    widget = field.field.widget
    if field.auto_id and isinstance(widget, forms.MultiWidget | forms.RadioSelect):
        return f"{field.auto_id}_0"  # CheckboxSelectMultiple is a RadioSelect
    return ""


@register.filter
def fields_in_error(form: forms.BaseForm) -> list[FieldError]:
    """Each field in error, in the form's order, with its first error and where it is."""
    if not form.is_bound or not form.errors:
        return []
    return [
        FieldError(str(field.label or field.name), str(field.errors[0]), _anchor(field))
        for field in form
        if field.errors
    ]
