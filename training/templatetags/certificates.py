"""The QR code printed on a certificate: its public verification address, drawn as inline SVG by segno.

Inline SVG needs no image request and no data: URL, prints sharply at any size, and keeps the page within the
Content Security Policy.
"""

import segno
from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def verification_qr(url):
    # Medium error correction survives a crease or a smudge on a printed sheet; four-module quiet zone as the
    # standard asks, so phone cameras find it.
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(scale=4, border=4, dark="#1d2433", light="#ffffff", omitsize=True)
    label = format_html("QR code of {}", url)
    return mark_safe(f'<span class="certificate-qr" role="img" aria-label="{label}">{svg}</span>')  # noqa: S308
