"""Every form of the pages that posts carries the session's CSRF token, and no template holds an inline event
handler (the Content-Security-Policy would block it): a new form or onclick= fails here, before a browser."""

from __future__ import annotations

import re

from ops.web.render import TEMPLATES

# Posted before a session exists: checked by its Origin instead.
WITHOUT_SESSION = {("login.html", "/login")}


def test_every_posting_form_carries_the_csrf_field() -> None:
    missing, seen = [], 0
    for path in sorted(TEMPLATES.glob("*.html")):
        for form in re.finditer(r"<form\b[^>]*>", path.read_text(encoding="utf-8")):
            tag = form.group(0)
            if 'method="post"' not in tag.lower():
                continue
            seen += 1
            action = re.search(r'action="([^"]*)"', tag)
            key = (path.name, action.group(1) if action else "")
            after = path.read_text(encoding="utf-8")[form.end() : form.end() + 40]
            if key not in WITHOUT_SESSION and not after.startswith("{{ csrf_field() }}"):
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
