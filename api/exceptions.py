"""The one place where domain errors become the status codes and shapes of API.md."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from franchise.errors import DomainError, IllegalTransition, Invalid, RuleNotMet


def domain_error_response(exc):
    if isinstance(exc, RuleNotMet):
        body = {"detail": exc.message, "unmet": [item.as_dict() for item in exc.unmet]}
    elif isinstance(exc, IllegalTransition):
        body = {"detail": exc.message, "allowed": exc.allowed}
    elif isinstance(exc, Invalid):
        body = {exc.field or "non_field_errors": [exc.message]}
    else:
        body = {"detail": exc.message}
    return Response(body, status=exc.status)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return domain_error_response(exc)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            body = {
                ("non_field_errors" if field == "__all__" else field): messages
                for field, messages in exc.message_dict.items()
            }
        else:
            body = {"non_field_errors": exc.messages}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, (Http404, PermissionDenied)):
        return drf_exception_handler(exc, context)
    return drf_exception_handler(exc, context)
