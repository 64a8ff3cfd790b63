"""A partner's fidelity audits and corrective actions, for its coordinators: the audits and their scores (read
only; the licensor records them), and the corrective actions they raised — naming an owner among the partner's
staff and submitting the evidence that the shortfall is put right, which the licensor then accepts or reopens.
The same services and querysets as the API (supervision.fidelity)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, Q, When
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.tenancy import COORDINATOR, SUPERVISOR, TRAINER
from franchise.models import User
from supervision.fidelity import services as fidelity
from supervision.models import Audit, AuditAnswer, CorrectiveAction
from web.forms import show_refusal
from web.partners import partner_page

PAGE_SIZE = 50
# The licensor's console names an action's owner, and it never names a mentor: owners are the partner's staff.
OWNER_ROLES = (COORDINATOR, SUPERVISOR, TRAINER)


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return str(user)


class OwnerForm(forms.Form):
    owner = OwnerChoiceField(label="Owner", queryset=User.objects.none(), empty_label="Choose who puts it right")

    def __init__(self, *args, partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            User.objects.filter(is_active=True, memberships__partner=partner, memberships__role__in=OWNER_ROLES)
            .distinct()
            .order_by("name", "email")
        )


class EvidenceForm(forms.Form):
    evidence = forms.CharField(
        label="Evidence that it is put right",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What was done, and where the licensor can see it (a log, a record, a date).",
    )


@partner_page(COORDINATOR)
def audit_list(request, here):
    audits = (
        Audit.objects.visible_to(request.user)
        .filter(partner=here.partner)
        .select_related("template")
        .annotate(actions_open=Count("corrective_actions", filter=~Q(corrective_actions__status="accepted")))
        .order_by("-scheduled_on")
    )
    page_obj = Paginator(audits, PAGE_SIZE).get_page(request.GET.get("page"))
    actions = CorrectiveAction.objects.visible_to(request.user).filter(partner=here.partner)
    return render(
        request,
        "web/audits/list.html",
        {
            "nav": "audits",
            "page_obj": page_obj,
            "audits": list(page_obj),
            "query_without_page": "",
            "actions_to_do": actions.filter(status="open").count(),
        },
    )


@partner_page(COORDINATOR)
def corrective_action_list(request, here):
    actions = (
        CorrectiveAction.objects.visible_to(request.user)
        .filter(partner=here.partner)
        .select_related("question", "owner", "audit__template")
        # What the partner still has to do first, then what waits for the licensor, then what is done.
        .order_by(Case(When(status="open", then=0), When(status="submitted", then=1), default=2), "due_on")
    )
    page_obj = Paginator(actions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/audits/corrective_actions.html",
        {
            "nav": "audits",
            "page_obj": page_obj,
            "actions": list(page_obj),
            "query_without_page": "",
            "today": timezone.localdate(),
        },
    )


@require_http_methods(["GET", "POST"])
@partner_page(COORDINATOR)
def corrective_action_detail(request, here, corrective_action_id):
    action = get_object_or_404(
        CorrectiveAction.objects.visible_to(request.user)
        .filter(partner=here.partner)
        .select_related("audit__template", "question", "owner", "submitted_by"),
        pk=corrective_action_id,
    )
    owner_form = OwnerForm(partner=here.partner, prefix="owner", initial={"owner": action.owner_id})
    evidence_form = EvidenceForm(prefix="evidence", initial={"evidence": action.evidence})
    if request.method == "POST":
        if "owner-owner" in request.POST:
            owner_form = form = OwnerForm(request.POST, partner=here.partner, prefix="owner")
        else:
            evidence_form = form = EvidenceForm(request.POST, prefix="evidence")
        if form.is_valid():
            try:
                if form is owner_form:
                    fidelity.update_action(request.user, action, owner=form.cleaned_data["owner"])
                else:
                    fidelity.submit_action(request.user, action, evidence=form.cleaned_data["evidence"])
            except (DomainError, ValidationError) as error:
                show_refusal(form, error)
            else:
                if form is owner_form:
                    messages.success(request, f"{form.cleaned_data['owner']} owns this corrective action.")
                else:
                    messages.success(request, "The evidence is submitted; the licensing organisation will review it.")
                return redirect("corrective-action", here.partner.slug, action.pk)
    answer = AuditAnswer.objects.filter(audit=action.audit_id, question=action.question_id).first()
    return render(
        request,
        "web/audits/corrective_action.html",
        {
            "nav": "audits",
            "action": action,
            "answer": answer,
            "owner_form": owner_form,
            "evidence_form": evidence_form,
            "today": timezone.localdate(),
        },
        status=400 if request.method == "POST" else 200,
    )


urlpatterns = [
    path("audits/", audit_list, name="partner-audits"),
    path("corrective-actions/", corrective_action_list, name="corrective-actions"),
    path(
        "corrective-actions/<uuid:corrective_action_id>/",
        corrective_action_detail,
        name="corrective-action",
    ),
]
