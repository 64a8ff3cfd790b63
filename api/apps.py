from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "Api"

    def ready(self):
        from django.db import models
        from rest_framework import serializers

        from api.fields import DateTimeField

        # Every ModelSerializer's date-time fields then insist on an offset (API.md: ISO 8601 with offset);
        # the fields a serializer declares itself use api.fields.DateTimeField too.
        serializers.ModelSerializer.serializer_field_mapping[models.DateTimeField] = DateTimeField
