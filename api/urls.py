"""API routing. Each domain module contributes its routes; nothing here filters or decides."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from api import auth, core, franchise, reminders, training
from api.supervision import assignments, fidelity, fidelity_scores, incidents, mentoring, people, sessions

router = DefaultRouter()
router.register("partners", core.PartnerViewSet, basename="partner")
router.register("memberships", core.MembershipViewSet, basename="membership")
router.register("invitations", core.InvitationViewSet, basename="invitation")
router.register("programmes", franchise.ProgrammeViewSet, basename="programme")
router.register("licences", franchise.LicenceViewSet, basename="licence")
router.register("licence-fees", franchise.LicenceFeeViewSet, basename="licence-fee")
router.register("boundary-rules", franchise.BoundaryRuleViewSet, basename="boundary-rule")
router.register("people", people.PersonViewSet, basename="person")
router.register("shadowing-logs", people.ShadowingLogViewSet, basename="shadowing-log")
router.register("matches", people.MatchViewSet, basename="match")
router.register("match-goals", mentoring.MatchGoalViewSet, basename="match-goal")
router.register("contact-records", mentoring.ContactRecordViewSet, basename="contact-record")
router.register("matching-tags", mentoring.MatchingTagViewSet, basename="matching-tag")
router.register("mentor-profiles", mentoring.MentorProfileViewSet, basename="mentor-profile")
router.register("mentor-conflicts", mentoring.MentorConflictViewSet, basename="mentor-conflict")
router.register("supervision-groups", sessions.SupervisionGroupViewSet, basename="supervision-group")
router.register("toolkit-processes", sessions.ToolkitProcessViewSet, basename="toolkit-process")
router.register("supervision-sessions", sessions.SupervisionSessionViewSet, basename="supervision-session")
router.register("supervision-series", sessions.SupervisionSeriesViewSet, basename="supervision-series")
router.register("supervision-actions", sessions.SessionActionViewSet, basename="supervision-action")
router.register(
    "supervision-assignments",
    assignments.SupervisionAssignmentViewSet,
    basename="supervision-assignment",
)
router.register("courses", training.CourseViewSet, basename="course")
router.register("course-sessions", training.CourseSessionViewSet, basename="course-session")
router.register("enrolments", training.EnrolmentViewSet, basename="enrolment")
router.register("assessments", training.AssessmentViewSet, basename="assessment")
router.register("certificates", training.CertificateViewSet, basename="certificate")
router.register("accreditations", training.AccreditationViewSet, basename="accreditation")
router.register("teaching-records", training.TeachingRecordViewSet, basename="teaching-record")
router.register("cpd-records", training.CPDRecordViewSet, basename="cpd-record")
router.register("reminders", reminders.ReminderViewSet, basename="reminder")
router.register("incidents", incidents.IncidentViewSet, basename="incident")
router.register("incident-actions", incidents.IncidentActionViewSet, basename="incident-action")
router.register("incident-stats", incidents.IncidentStatsViewSet, basename="incident-stats")
router.register("audit-templates", fidelity.AuditTemplateViewSet, basename="audit-template")
router.register("audits", fidelity.AuditViewSet, basename="audit")
router.register("corrective-actions", fidelity.CorrectiveActionViewSet, basename="corrective-action")
router.register("partner-scores", fidelity_scores.PartnerScoreViewSet, basename="partner-score")
router.register("auth/tokens", auth.ApiTokenViewSet, basename="auth-token-list")
router.register("auth/two-factor/devices", auth.TwoFactorDeviceViewSet, basename="two-factor-device")

urlpatterns = [
    path("auth/token/", core.TokenView.as_view(), name="auth-token"),
    path("auth/sign-out/", auth.SignOutView.as_view(), name="auth-sign-out"),
    path("auth/sign-out-everywhere/", auth.SignOutEverywhereView.as_view(), name="auth-sign-out-everywhere"),
    path("me/", core.MeView.as_view(), name="me"),
    path("policy/baseline/", franchise.BaselinePolicyView.as_view(), name="policy-baseline"),
    path("partners/<uuid:pk>/policy/", franchise.PartnerPolicyView.as_view(), name="partner-policy"),
    path(
        "partners/<uuid:pk>/policy/versions/", franchise.PolicyVersionListView.as_view(), name="partner-policy-versions"
    ),
    path(
        "partners/<uuid:pk>/policy/acknowledge/",
        franchise.AcknowledgePolicyView.as_view(),
        name="partner-policy-acknowledge",
    ),
    path(
        "partners/<uuid:pk>/policy/unacknowledged/",
        franchise.UnacknowledgedView.as_view(),
        name="partner-policy-unacknowledged",
    ),
    path("partners/<uuid:pk>/score-history/", fidelity_scores.ScoreHistoryView.as_view(), name="partner-score-history"),
    path("scorecard/weights/", fidelity_scores.ScorecardWeightsView.as_view(), name="scorecard-weights"),
    path("match-suggestions/", mentoring.MatchSuggestionsView.as_view(), name="match-suggestions"),
    path(
        "compliance/supervision/",
        sessions.SupervisionComplianceView.as_view(),
        name="compliance-supervision",
    ),
    path("badges/issuers/<slug:slug>/", training.BadgeIssuerView.as_view(), name="badge-issuer"),
    path(
        "badges/issuers/<slug:slug>/revocations/",
        training.BadgeRevocationListView.as_view(),
        name="badge-revocations",
    ),
    path("badges/achievements/<uuid:pk>/", training.BadgeAchievementView.as_view(), name="badge-achievement"),
    *router.urls,
]
