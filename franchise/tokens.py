"""API tokens: issued, listed and revoked here. django-rest-knox stores only a hash of each key.

A key exists in clear once, in the answer to the login that issued it. Every token expires
(`TANDEM_TOKEN_TTL_HOURS`); a user lists their own live tokens, revokes one, or signs out
everywhere.
"""

import uuid
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from core.errors import NotFound
from franchise.models import ApiToken

# A token used every second would otherwise write its row every second.
LAST_USE_PRECISION = timedelta(minutes=1)


def issue_token(user, now=None):
    """A new token for `user`: (ApiToken, key). The key is not stored and cannot be read again.

    Signing in is the token's first use. The user's expired tokens are deleted here rather than on every
    request."""
    now = now or timezone.now()
    ApiToken.objects.visible_to(user).filter(expiry__lte=now).delete()
    return ApiToken.objects.create(user=user, last_used_at=now)


def has_expired(token, now=None):
    return token.expiry is not None and token.expiry <= (now or timezone.now())


def tokens_of(user, now=None):
    """The user's tokens that still work, newest first."""
    return ApiToken.objects.visible_to(user).live(now)


def revoke_token(*, by, token_id):
    """Revoke one of `by`'s own tokens. Another user's token is answered like one that does not exist."""
    try:
        token_id = uuid.UUID(str(token_id))
    except ValueError:
        raise NotFound() from None
    deleted, _ = ApiToken.objects.visible_to(by).filter(pk=token_id).delete()
    if not deleted:
        raise NotFound()


def revoke_all(*, by, keep=None):
    """Sign `by` out everywhere: every token of theirs stops working (but `keep`, when given). Returns how many."""
    tokens = ApiToken.objects.visible_to(by)
    if keep is not None:
        tokens = tokens.exclude(pk=keep.pk)
    deleted, _ = tokens.delete()
    return deleted


def record_use(token, now=None):
    """Note that `token` was used, to the minute: most requests write nothing, and of concurrent ones the
    conditional UPDATE lets one write."""
    now = now or timezone.now()
    stale = now - LAST_USE_PRECISION
    if token.last_used_at is not None and token.last_used_at >= stale:
        return
    ApiToken.objects.filter(pk=token.pk).filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale)).update(
        last_used_at=now
    )
    token.last_used_at = now
