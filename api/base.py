from django.core.exceptions import ImproperlyConfigured
from rest_framework import mixins, viewsets


class ScopedViewSetMixin:
    """Every queryset starts from ``visible_to(request.user)``.

    Subclasses set ``queryset`` (with their select_related/prefetch) and never
    filter by partner themselves; anything outside the user's tenants is then
    a 404 for retrieve, update, delete and every detail action.
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        if not hasattr(queryset, "visible_to"):
            raise ImproperlyConfigured(f"{type(self).__name__}: {queryset.model.__name__} has no visible_to(user).")
        return queryset.visible_to(self.request.user)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]


class ScopedListDestroyViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    pass
