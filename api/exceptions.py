"""The one place where domain errors become the status codes and shapes of API.md."""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from franchise.errors import DomainError, IllegalTransition, Invalid, RuleNotMet

logger = logging.getLogger(__name__)


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
    if isinstance(exc, IntegrityError):
        # A constraint the services did not check first, or a race between two
        # writers: the input conflicts with stored data, which is the client's 400,
        # not a 500. Logged, because a service should have named the rule.
        logger.warning("Integrity error answered as 400 in %s: %s", type(context.get("view")).__name__, exc)
        return Response(
            {"non_field_errors": ["This conflicts with data already stored."]}, status=status.HTTP_400_BAD_REQUEST
        )
    return drf_exception_handler(exc, context)
