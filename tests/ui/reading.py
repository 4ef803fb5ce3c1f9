"""Read a page the way a person does: the words on it, and the links with their names."""

from __future__ import annotations

import html
import re

from django.test import Client


def browser_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def text(response) -> str:
    """The page without tags, entities decoded, whitespace collapsed."""
    body = re.sub(r"<(script|style|template)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def links_to(response, href: str) -> list[str]:
    """The names of the links on the page that go to `href`."""
    found = re.findall(rf'<a\b[^>]*href="{re.escape(href)}"[^>]*>(.*?)</a>', response.content.decode(), flags=re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", name)).split()) for name in found]


def forms_posting_to(response, action: str) -> int:
    """How many forms on the page post to `action`."""
    return len(re.findall(rf'<form\b[^>]*action="{re.escape(action)}"', response.content.decode()))
