from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference by id that only accepts objects the caller can see.

    Without this a foreign id in a request body would be a way round tenant
    scoping; an invisible id is answered exactly like one that does not exist.
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        if not hasattr(queryset, "visible_to"):
            raise ImproperlyConfigured(f"{queryset.model.__name__} has no visible_to(user) queryset method.")
        request = self.context.get("request")
        return queryset.visible_to(request.user if request else None)


class TargetPartnerField(VisibleRelatedField):
    """The partner a request writes into (an invitation's partner, say).

    Naming a partner outside the caller's tenants is answered like a URL
    outside them: 404, the same for an id that exists and one that does not.
    A visible partner where the caller's role is not enough is the service's
    403.
    """

    def to_internal_value(self, data):
        if isinstance(data, (bool, dict, list)):
            raise exceptions.NotFound("No such partner.")
        try:
            return self.get_queryset().get(pk=data)
        except (ObjectDoesNotExist, DjangoValidationError, TypeError, ValueError):
            raise exceptions.NotFound("No such partner.")
