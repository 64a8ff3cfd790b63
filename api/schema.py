"""The OpenAPI schema says what API.md promises, error responses included.

drf-spectacular documents the success response of each operation. Clients (and the
schemathesis run in CI, which fails on any status code or body the schema does not
describe) also need the errors: every operation here declares the error statuses it
can answer with, in the shapes api.exceptions sends. A view that declares an error
status with a description only gets the shape filled in.
"""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


ERROR_COMPONENTS = {
    "Error": {
        "type": "object",
        "description": "An error with a sentence for people; a refusal the client can act on also has a `code`.",
        "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
        "required": ["detail"],
    },
    "ValidationError": {
        "type": "object",
        "description": 'Invalid input, in DRF\'s field-error shape: `{"field": ["message"]}`, with '
        "`non_field_errors` for the request as a whole (a nested object or list of them for nested fields); "
        '`{"detail"}` for a body that cannot be read at all.',
        "properties": {
            "detail": {"type": "string"},
            "non_field_errors": {"type": "array", "items": {"type": "string"}},
        },
        "additionalProperties": {"anyOf": [{"type": "array"}, {"type": "object"}]},
    },
    "Unmet": {
        "type": "object",
        "properties": {
            "code": {"type": "string", "description": "Stable snake_case code of the requirement."},
            "message": {"type": "string"},
        },
        "required": ["code", "message"],
    },
    "RuleNotMet": {
        "type": "object",
        "description": "A business rule is not met: every unmet requirement at once, each with a stable code.",
        "properties": {
            "detail": {"type": "string"},
            "unmet": {"type": "array", "items": _ref("Unmet")},
        },
        "required": ["detail", "unmet"],
    },
    "IllegalTransition": {
        "type": "object",
        "description": "The move is not allowed from the current state; `allowed` names the moves that are.",
        "properties": {
            "detail": {"type": "string"},
            "allowed": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["detail", "allowed"],
    },
}

INVALID = _ref("ValidationError")
INVALID_OR_UNMET = {"anyOf": [_ref("ValidationError"), _ref("RuleNotMet")]}
ILLEGAL_TRANSITION = _ref("IllegalTransition")
ERROR = _ref("Error")


def unmet_response(description="Invalid input, or a business rule is not met (`unmet`)."):
    """A 400 that is either field errors or `{"detail", "unmet": [{"code", "message"}]}`."""
    return OpenApiResponse(INVALID_OR_UNMET, description=description)


def illegal_transition_response(description="Not allowed from the current state; `allowed` names what is."):
    """A 409: `{"detail", "allowed": [...]}`."""
    return OpenApiResponse(ILLEGAL_TRANSITION, description=description)


_DESCRIPTIONS = {
    "400": "Invalid input.",
    "401": "No credentials, or credentials that are not valid.",
    "403": "The object is visible, but your role may not do this.",
    "404": "Not found, or outside your tenants.",
    "409": "Not allowed from the current state.",
    "413": "The request body is too large.",
    "415": "The request body is not JSON.",
    "429": "Too many requests: try again after Retry-After seconds.",
}
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for name, schema in ERROR_COMPONENTS.items():
            self.registry.register_on_missing(
                ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
            )
        # Errors come in every format the view renders: a page offered as HTML too (a certificate's print
        # view, ?format=html) sends its errors as a short text/html page.
        media_types = [media_type for media_type in self.map_renderers("media_type") if media_type != "text/html"]
        html = "text/html" in self.map_renderers("media_type")
        for code, schema in self._error_responses().items():
            response = responses.setdefault(code, {"description": _DESCRIPTIONS.get(code, "")})
            # A view may declare an error with a description only: it is sent in the usual shape.
            if "content" not in response:
                response["content"] = {
                    media_type: {"schema": schema} for media_type in media_types or ["application/json"]
                }
                if html:
                    response["content"]["text/html"] = {"schema": {"type": "string"}}
        # gunicorn (and any proxy in front of it) refuses a request line past its limit before Tandem reads
        # it, with a short HTML page of its own: any operation can meet it with long enough parameters.
        responses.setdefault(
            "414",
            {
                "description": "The URL is too long: the web server refuses it before Tandem reads it.",
                "content": {"text/html": {"schema": {"type": "string"}}},
            },
        )
        return responses

    def _error_responses(self):
        """The error statuses this operation can answer with, and the shape of each body."""
        view = self.view
        writes = self.method in _WRITES
        has_query = any(parameter["in"] == "query" for parameter in self._get_parameters())
        errors = {}
        if writes:
            # A write can break a business rule of the domain as well as a field's.
            errors["400"] = INVALID_OR_UNMET
        elif has_query:
            errors["400"] = INVALID
        authenticates = bool(view.get_authenticators())
        # A sign-in route authenticates nothing but answers wrong credentials with 401 and its challenge.
        challenges = type(view).get_authenticate_header is not APIView.get_authenticate_header
        if authenticates or challenges:
            errors["401"] = ERROR
        if not any(isinstance(permission, AllowAny) for permission in view.get_permissions()):
            errors["403"] = ERROR
        if "{" in self.path or (writes and authenticates) or self._is_list_view():
            # Detail routes; references in a body to what the caller cannot see; a page past the last.
            errors["404"] = ERROR
        if self._get_request_body():
            errors["415"] = ERROR
        if view.get_throttles():
            errors["429"] = ERROR
        declared = self.get_response_serializers()
        if isinstance(declared, dict):
            for code in declared:
                code = str(code[0] if isinstance(code, tuple) else code)
                if code == "409":
                    errors["409"] = ILLEGAL_TRANSITION
                elif code == "400" and not writes:
                    errors["400"] = INVALID_OR_UNMET
                elif code >= "400":
                    errors.setdefault(code, ERROR)
        return errors


class TimeFieldExtension(OpenApiSerializerFieldExtension):
    """A wall-clock time (a course session's start, say) is `HH:MM[:SS[.ffffff]]`, without an offset.

    drf-spectacular calls it `format: time`, which JSON Schema reads as RFC 3339's full-time: with an
    offset, which DRF neither sends nor needs (the time is in the partner's zone).
    """

    target_class = "rest_framework.fields.TimeField"

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
            "example": "18:30:00",
            "description": "A wall-clock time in the partner's time zone: HH:MM or HH:MM:SS.",
        }
