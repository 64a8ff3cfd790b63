"""Every route of the API, found by walking its URL configuration.

Tests built on this cover routes added later without anyone editing them:
the DefaultRouter's viewsets (list, detail and every @action) and any plain
view in api.urls.
"""

import re
import uuid
from dataclasses import dataclass, field
from functools import cached_property

from django.urls import URLPattern, URLResolver, get_resolver

import api.urls

# The only routes that answer without credentials. Tenant routes never belong here.
PUBLIC_ROUTE_PREFIXES = (
    "auth/token/",
    "invitations/accept/",
    "certificates/verify/",
    "badges/",
)

_CALLABLE_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    template: str  # relative to the API's base path, kwargs as {name}: "partners/{pk}/policy/"
    base: str  # "/api/v1/"
    callback: object = field(repr=False, compare=False)

    @property
    def view_class(self):
        return getattr(self.callback, "cls", None) or self.callback.view_class

    @property
    def is_viewset(self):
        return getattr(self.callback, "actions", None) is not None

    @property
    def actions(self):
        """HTTP method -> viewset action name (empty for a plain view)."""
        return dict(self.callback.actions) if self.is_viewset else {}

    @property
    def detail(self):
        """True where the route names one object: a viewset detail route, or a plain view with a URL kwarg."""
        if self.is_viewset:
            return bool(self.callback.initkwargs.get("detail"))
        return bool(self.kwarg_names)

    @property
    def lookup_kwarg(self):
        if self.is_viewset:
            view = self.view_class
            return view.lookup_url_kwarg or view.lookup_field
        names = self.kwarg_names
        for name in names:
            if name in ("pk", "id") or name.endswith("_pk") or name.endswith("_id"):
                return name
        return names[0] if names else None

    @cached_property
    def kwarg_names(self):
        return tuple(re.findall(r"{(\w+)}", self.template))

    @property
    def methods(self):
        """The HTTP methods the route declares (HEAD and OPTIONS aside)."""
        allowed = {m.lower() for m in getattr(self.view_class, "http_method_names", _CALLABLE_METHODS)}
        if self.is_viewset:
            declared = self.actions
        else:
            declared = {m: m for m in _CALLABLE_METHODS if hasattr(self.view_class, m)}
        return [m for m in _CALLABLE_METHODS if m in declared and m in allowed]

    @property
    def model(self):
        queryset = getattr(self.view_class, "queryset", None)
        return queryset.model if queryset is not None else None

    @property
    def is_public(self):
        return self.template.startswith(PUBLIC_ROUTE_PREFIXES)

    @property
    def is_router_list(self):
        return self.is_viewset and self.actions.get("get") == "list"

    def url(self, **values):
        """The concrete path; kwargs not given get a fresh random UUID."""
        path = self.template
        for name in self.kwarg_names:
            path = path.replace("{" + name + "}", str(values.get(name, uuid.uuid4())))
        return self.base + path

    def __str__(self):
        view = self.view_class.__name__
        return f"/{self.template} ({view}{'.' + '/'.join(sorted(set(self.actions.values()))) if self.actions else ''})"


def _replace_groups(regex):
    """`partners/(?P<pk>[^/.]+)/` -> `partners/{pk}/`: named groups become {name}, nested brackets included."""
    out, i = [], 0
    while i < len(regex):
        if regex.startswith("(?P<", i):
            end_name = regex.index(">", i)
            name = regex[i + 4 : end_name]
            depth, j = 1, end_name + 1
            while depth:
                if regex[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(regex[j], 0)
                j += 1
            out.append("{" + name + "}")
            i = j
        else:
            out.append(regex[i])
            i += 1
    return "".join(out)


def _template(pattern):
    text = str(pattern.pattern)
    if hasattr(pattern.pattern, "regex") and type(pattern.pattern).__name__ == "RegexPattern":
        text = _replace_groups(text).lstrip("^").rstrip("$").replace("\\.", ".")
        if text.endswith("/?"):
            text = text[:-1]
        return text
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text)


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + _template(pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + _template(pattern), pattern.callback


def _api_base():
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and pattern.urlconf_name in ("api.urls", api.urls):
            return "/" + _template(pattern)
    raise AssertionError("api.urls is not included in the project's URL configuration")


def api_routes():
    """Every route in api.urls, the router's format-suffix duplicates aside."""
    base = _api_base()
    routes, seen = [], set()
    for template, callback in _walk(api.urls.urlpatterns):
        if "{format}" in template or template in seen:
            continue
        seen.add(template)
        routes.append(Route(template=template, base=base, callback=callback))
    _check_router_covered(routes)
    return routes


def _check_router_covered(routes):
    # The walk and the router's own registry must agree, or the walk has missed something.
    found = {route.view_class for route in routes if route.is_viewset}
    for router in _routers():
        for prefix, viewset, _basename in router.registry:
            assert viewset in found, f"the router registers {prefix} ({viewset.__name__}) but the URL walk missed it"


def _routers():
    from rest_framework.routers import BaseRouter

    return [value for value in vars(api.urls).values() if isinstance(value, BaseRouter)]
