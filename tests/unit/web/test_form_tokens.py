"""Every form of the pages that posts carries the session's CSRF token, and no template holds an inline event
handler (the Content-Security-Policy would block it): a new form or onclick= fails here, before a browser."""

from __future__ import annotations

import re

from ops.web.render import TEMPLATES

# Posted before a session exists: checked by its Origin instead.
WITHOUT_SESSION = {("login.html", "/login")}


def test_every_posting_form_carries_the_csrf_field() -> None:
    texts = {path.name: path.read_text(encoding="utf-8") for path in sorted(TEMPLATES.glob("*.html"))}
    # Hidden-field macros ({% macro hidden() %}{{ csrf_field() }}...), called by a form or passed to a macro that
    # calls them. Not a {% set %} block: that renders csrf_field() once, and its forms would share one form key
    # (ops.idempotency), so that the second form sent from the page is refused as the first sent again.
    carriers = {
        name for text in texts.values() for name in re.findall(r"{%\s*macro (\w+)\(\)\s*%}{{ csrf_field\(\) }}", text)
    }
    assert carriers, "no hidden-field macro carries the token any more: check this test"
    shared = [name for name, text in texts.items() if re.search(r"{%\s*set \w+\s*%}{{ csrf_field\(\) }}", text)]
    assert shared == []
    missing, seen = [], 0
    for name, text in texts.items():
        for form in re.finditer(r"<form\b[^>]*>", text):
            tag = form.group(0)
            if 'method="post"' not in tag.lower():
                continue
            seen += 1
            action = re.search(r'action="([^"]*)"', tag)
            key = (name, action.group(1) if action else "")
            opening = re.match(r"(?:{{ \w+(?:\(\))? }})+", text[form.end() :])
            fields = set(re.findall(r"{{ (\w+)", opening.group(0))) if opening else set()
            if key not in WITHOUT_SESSION and not fields & (carriers | {"csrf_field"}):
                missing.append(key)
    assert seen >= 15
    assert missing == []


def test_no_template_holds_an_inline_event_handler() -> None:
    found = [
        (path.name, m.group(0))
        for path in sorted(TEMPLATES.glob("*.html"))
        for m in re.finditer(r"<[^>]*\son[a-z]+\s*=", path.read_text(encoding="utf-8"))
    ]
    assert found == []
