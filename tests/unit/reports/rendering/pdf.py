"""Counting the pages of a PDF as a reader would see them, without a PDF library: WeasyPrint packs its objects into
compressed object streams, so the page tree's `/Count` is read after inflating them."""

from __future__ import annotations

import re
import zlib


def page_count(pdf: bytes) -> int:
    """The /Count of the root page tree (the largest one, since inner /Pages nodes count fewer)."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue  # an image or a font: not an object stream
    text = b"\n".join(parts)
    counts = [int(c) for c in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", text, re.S)]
    counts += [int(c) for c in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", text, re.S)]
    assert counts, "no page tree found in the PDF"
    return max(counts)
