"""What every tenant-scoped endpoint shares: the queryset, the filters and the licensor-writes rule."""

from django.core.exceptions import ImproperlyConfigured
from django_filters import filters as django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, permissions, viewsets

from api.fields import OffsetDateTimeFormField
from core.tenancy import access_for


class ScopedFilterBackend(DjangoFilterBackend):
    """django-filter, with every filter that names another object limited to what the caller can see.

    `?partner=<id of another tenant>` is then refused exactly like an id that does
    not exist (400), instead of answering an empty list that confirms the id.
    """

    def filter_queryset(self, request, queryset, view):
        # Filters narrow lists; the schema documents them on list operations only. DRF would also apply them to
        # a detail route, building a FilterSet (a deep copy of every filter) for each object fetched.
        if getattr(view, "detail", False) or not _filter_parameters(request, view):
            # Without a filter parameter a FilterSet filters nothing: building it (a deep copy of every
            # filter, a form to validate) would be all cost.
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        # filterset.filters is the instance's own deep copy, so this changes nothing shared.
        for filter_ in filterset.filters.values():
            if isinstance(filter_, django_filters.DateTimeFilter):
                # ?starts_after= with its UTC offset, and within the years the database can hold: a 400
                # naming the parameter rather than a naive guess or an OverflowError.
                filter_.field_class = OffsetDateTimeFormField
            if not isinstance(filter_, (django_filters.ModelChoiceFilter, django_filters.ModelMultipleChoiceFilter)):
                continue
            choices = filter_.queryset
            if choices is None or callable(choices) or not hasattr(choices, "visible_to"):
                continue
            filter_.queryset = lambda request, choices=choices: choices.visible_to(request.user)
        return filterset


def _filter_parameters(request, view):
    """The query parameters that are not the paginator's own: only these can be filters."""
    paginator = getattr(view, "paginator", None)
    own = {getattr(paginator, "page_query_param", None), getattr(paginator, "page_size_query_param", None)}
    return [name for name in request.query_params if name not in own]


class ScopedViewSetMixin:
    """Every queryset starts from ``visible_to(request.user)``.

    Subclasses set ``queryset`` (with their select_related/prefetch) and never
    filter by partner themselves; anything outside the user's tenants is then
    a 404 for retrieve, update, delete and every detail action.
    """

    filter_backends = [ScopedFilterBackend]
    # The list's own queryset, when it shows less than the detail (fewer columns, no related rows): the rows
    # are still cut down by visible_to exactly as for the detail.
    list_queryset = None

    def get_queryset(self):
        if getattr(self, "action", None) == "list" and self.list_queryset is not None:
            queryset = self.list_queryset.all()
        else:
            queryset = super().get_queryset()
        if not hasattr(queryset, "visible_to"):
            raise ImproperlyConfigured(f"{type(self).__name__}: {queryset.model.__name__} has no visible_to(user).")
        return queryset.visible_to(self.request.user)

    def get_object(self):
        obj = super().get_object()
        # Kept for api.exceptions: once the caller has seen the object, a refused write on it is a 403.
        self.visible_object = obj
        return obj


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


class LicensorWrites(permissions.IsAuthenticated):
    """Signed-in users read; only licensor admins write.

    On a detail route the decision waits for the object, so that an object
    outside the caller's tenants is a 404 (from the scoped queryset) before it
    can be a 403.
    """

    message = "Only the licensing organisation may do this."

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method in permissions.SAFE_METHODS or getattr(view, "detail", False):
            return True
        return access_for(request.user).is_licensor

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or access_for(request.user).is_licensor
