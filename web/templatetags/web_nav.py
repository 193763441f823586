"""`{% nav_link %}`: a navigation link that says when it is the page being shown."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_link(context: template.Context, url_name: str, label: str, css_class: str = "") -> str:
    """`<a href=...>label</a>`, with aria-current="page" on the page it leads to.

    Screen readers announce aria-current ("current page"), and site.css styles it, so
    sighted and non-sighted visitors both see where they are. A missing URL name
    raises NoReverseMatch like `{% url %}`: a broken menu should fail tests, not hide.
    """
    url = reverse(url_name)
    request = context.get("request")
    current = request is not None and request.path == url
    return format_html(
        '<a href="{}"{}{}>{}</a>',
        url,
        format_html(' class="{}"', css_class) if css_class else "",
        mark_safe(' aria-current="page"') if current else "",
        label,
    )
