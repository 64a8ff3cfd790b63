"""Certificates in a browser: the signed-in certificate page, and the public verification page behind its QR code.

The verification page answers anyone holding the code, with no login, only what the API's public verification
answers (holder, programme and level, issued on, issuing partner, status); it shares the API's rate per client
address, so alternating between the two does not double the guesses anyone can make.
"""

from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET
from rest_framework.throttling import SimpleRateThrottle

from franchise.login_guard import client_address
from training import badges, services
from training.models import Certificate
from web.partners import partner_page

NOT_INDEXED = "noindex, nofollow, noarchive"


class _VerificationRate(SimpleRateThrottle):
    # The API's scope and cache key: one bucket per client address for the page and the JSON endpoint alike.
    scope = "certificate_verify"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


def _not_indexed(response):
    response["X-Robots-Tag"] = NOT_INDEXED
    # The status can change (revocation): a shared cache must not keep an old "valid".
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def verify(request, code):
    rate = _VerificationRate()
    if not rate.allow_request(request, None):
        wait = int(rate.wait() or 60)
        response = render(request, "web/credentials/verify_throttled.html", {"wait": wait}, status=429)
        response["Retry-After"] = str(wait)
        return _not_indexed(response)
    certificate = Certificate.objects.by_code(code)
    if certificate is None:
        return _not_indexed(render(request, "web/credentials/verify_unknown.html", status=404))
    return _not_indexed(render(request, "web/credentials/verify.html", {"certificate": certificate}))


@partner_page()
def certificate_page(request, here, certificate_id):
    """The learner's own certificate, or one the coordinator or a course trainer may print, as a sheet to print."""
    certificate = get_object_or_404(
        Certificate.objects.visible_to(request.user)
        .filter(partner=here.partner)
        .select_related("partner", "enrolment__course__programme", "enrolment__verified_by"),
        pk=certificate_id,
    )
    if certificate.status != Certificate.Status.VALID:
        return render(request, "web/credentials/certificate_revoked.html", {"here": here, "certificate": certificate})
    return render(
        request,
        "training/certificate.html",
        {
            "certificate": certificate,
            "verify_url": services.verification_url(certificate),
            "back_url": reverse("partner-home", args=[here.partner.slug]),
            "badge_url": badges.badge_url(certificate),
        },
    )


urlpatterns = [
    path("certificates/<uuid:certificate_id>/", certificate_page, name="certificate"),
]

public_urlpatterns = [
    path("verify/<str:code>/", verify, name="verify-certificate"),
]
