"""How API requests authenticate: knox's hashed tokens. Kept apart from the views, which DRF's settings
import this module before."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from franchise import tokens


class TokenAuthentication(KnoxTokenAuthentication):
    """`Authorization: Token <key>`, checked against the stored hash; notes when each token was last used."""

    def authenticate_credentials(self, token):
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:
            # knox would let this escape as a 500.
            raise AuthenticationFailed("Invalid token.") from None
        user, auth_token = super().authenticate_credentials(token)
        tokens.record_use(auth_token)
        return user, auth_token

    def _cleanup_token(self, auth_token):
        # knox also loads every other token of the user on every request, to delete the expired ones: a
        # query per request. They are deleted when the user next signs in (franchise.tokens.issue_token).
        if tokens.has_expired(auth_token):
            auth_token.delete()
            return True
        return False


class TokenScheme(OpenApiAuthenticationExtension):
    """The schema's name for it is the one DRF's tokens had: clients' generated code keeps working."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
