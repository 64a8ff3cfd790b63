"""Links from a home to the pages where its items are resolved: a URL when the route exists, else None (the item
is shown without a link rather than failing the whole home)."""

from django.urls import NoReverseMatch, reverse


def url_or_none(name, *args, query=""):
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return None
    return f"{url}?{query}" if query else url
