"""What back-office tests look for in a page: messages beside fields, flashes."""

import html
import re


def errors_beside(page: str, field_id: str) -> list[str]:
    """The error messages shown beside one form field."""
    pattern = rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>'
    return [html.unescape(m) for m in re.findall(pattern, page)]


def flashes(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<div class="flash[^"]*"[^>]*>(.*?)</div>', page)]


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))
