"""The pages. Partner-scoped pages live under `/<partner_slug>/`, each area's routes in its own module."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from web import accounts, credentials, home
from web.console import accreditations as console_accreditations
from web.console import audits as console_audits
from web.console import figures as console_figures
from web.console import incidents as console_incidents
from web.console import licences as console_licences
from web.console import partners as console_partners
from web.console import policy as console_policy
from web.console import programmes as console_programmes
from web.franchise import policy
from web.supervision import fidelity, imports, incidents, matches, matching, me, people, sessions, toolkit
from web.training import accreditations, assessments, courses, register

partner_urls = [
    path("", home.partner_home, name="partner-home"),
    *people.urlpatterns,
    *imports.urlpatterns,
    *sessions.urlpatterns,
    *toolkit.urlpatterns,
    *incidents.urlpatterns,
    *matches.urlpatterns,
    *matching.urlpatterns,
    *policy.urlpatterns,
    *me.urlpatterns,
    *credentials.urlpatterns,
    *accreditations.urlpatterns,
    *courses.urlpatterns,
    *register.urlpatterns,
    *assessments.urlpatterns,
    *fidelity.urlpatterns,
]

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", accounts.SignInView.as_view(), name="login"),
    path("logout/", accounts.SignOutView.as_view(), name="logout"),
    path("password-reset/", accounts.ResetRequestView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("invite/<str:token>/", accounts.accept_invitation, name="accept-invitation"),
    *credentials.public_urlpatterns,
    path("console/", include(console_licences.urlpatterns)),
    path("console/", include(console_policy.urlpatterns)),
    path("console/", include(console_programmes.urlpatterns)),
    path("console/", include(console_accreditations.urlpatterns)),
    path("console/", include(console_incidents.urlpatterns)),
    path("console/", include(console_audits.urlpatterns)),
    path("console/", include(console_partners.urlpatterns)),
    path("console/", include(console_figures.urlpatterns)),
    path("<slug:partner_slug>/", include(partner_urls)),
]
