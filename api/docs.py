"""The OpenAPI schema and its Swagger UI page: open in development, behind sign-in in production.

TANDEM_PUBLIC_API_DOCS opens them to anyone (it follows DEBUG unless set). The page is
drf-spectacular's split view: its init script comes from a URL of its own (`?script`),
so the Content-Security-Policy needs no inline script.
"""

from django.conf import settings
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import BasePermission


class DocsAccess(BasePermission):
    def has_permission(self, request, view):
        return settings.TANDEM_PUBLIC_API_DOCS or bool(request.user and request.user.is_authenticated)


class SchemaView(SpectacularAPIView):
    permission_classes = [DocsAccess]


class DocsView(SpectacularSwaggerSplitView):
    permission_classes = [DocsAccess]
    # drf-spectacular's page, with its inline <style> moved to a static file.
    template_name = "api/swagger_ui.html"
