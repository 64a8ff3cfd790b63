from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers


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
