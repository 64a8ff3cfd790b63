"""The one place where domain errors become the status codes and shapes of API.md."""

import logging

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import JsonResponse
from django.views.defaults import page_not_found
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from api.parsers import RequestTooLarge
from core.errors import DomainError, IllegalTransition, Invalid, NotFound, NotPermitted, RuleNotMet

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
        if exc.status == status.HTTP_403_FORBIDDEN:
            # A refusal the client can act on carries its code (two_factor_required: enrol a device). Never a
            # 404's: it must read exactly like an object that does not exist.
            body["code"] = exc.code
    return Response(body, status=exc.status)


def _refused_on_a_visible_object(exc, context):
    """A partner check refused the caller, on an object of that partner the caller can see (a guest partner's
    coordinator and the owner's external group): API.md's 403, since a 404 would deny what they just read."""
    if not isinstance(exc, NotFound) or exc.code != "partner_not_visible":
        return False
    obj = getattr(context.get("view"), "visible_object", None)
    return obj is not None and getattr(obj, "partner_id", None) is not None


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        # Raised by Django when DRF first reads request.body; left alone it would be Django's HTML 400 page.
        exc = RequestTooLarge()
    if _refused_on_a_visible_object(exc, context):
        exc = NotPermitted("You can see this, but only the partner it belongs to may change it.")
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


def not_found(request, exception=None):
    """Django's 404 for a URL no route matches (`/api/v1/people/0.5/`): JSON under /api/, as every API answer."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    return page_not_found(request, exception)
