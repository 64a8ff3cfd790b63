"""Links to pages that other areas may not have yet: a URL when the name resolves, else None (no link shown)."""

from django.urls import NoReverseMatch, reverse


def url_or_none(name, *args, query=""):
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return None
    return f"{url}?{query}" if query else url
