"""API routing. Each domain module contributes its routes; nothing here filters or decides."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from api import core

router = DefaultRouter()
router.register("partners", core.PartnerViewSet, basename="partner")
router.register("memberships", core.MembershipViewSet, basename="membership")
router.register("invitations", core.InvitationViewSet, basename="invitation")

urlpatterns = [
    path("auth/token/", core.TokenView.as_view(), name="auth-token"),
    path("me/", core.MeView.as_view(), name="me"),
    *router.urls,
]
