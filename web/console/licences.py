"""The console's licences and fees: issue a licence with its fee schedule, move it through its lifecycle, draft
its renewal, and record the payments and waivers of its fees. The same services as api/franchise.py."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from franchise import services
from franchise.models import Licence, LicenceFee, Partner, Programme
from web.console.base import licensor_page
from web.forms import DateInput, show_refusal

LICENCES_SHOWN = 200
FEES_SHOWN = 200
ACTION_LABELS = {"activate": "Put in force", "suspend": "Suspend", "reinstate": "Reinstate", "terminate": "Terminate"}


class LicenceForm(forms.Form):
    partner = forms.ModelChoiceField(label="Partner", queryset=Partner.objects.order_by("name"))
    programme = forms.ModelChoiceField(label="Programme", queryset=Programme.objects.order_by("name"))
    reference = forms.CharField(label="Reference", max_length=60, help_text="Unique, for example LIC-2027-014.")
    starts_on = forms.DateField(label="First day", widget=DateInput())
    ends_on = forms.DateField(label="Last day", widget=DateInput())
    territory = forms.CharField(label="Territory", max_length=200, required=False)
    one_off_fee = forms.DecimalField(label="One-off fee", min_value=0, max_digits=12, decimal_places=2, initial=0)
    annual_fee = forms.DecimalField(label="Annual fee", min_value=0, max_digits=12, decimal_places=2, initial=0)
    currency = forms.RegexField(
        label="Currency", regex=r"^[A-Za-z]{3}$", initial="GBP", help_text="Three letters, ISO 4217 (GBP, EUR)."
    )


class PaymentForm(forms.Form):
    paid_on = forms.DateField(label="Paid on", widget=DateInput())
    note = forms.CharField(label="Note", required=False, max_length=2000, help_text="A payment reference, say.")


class WaiverForm(forms.Form):
    note = forms.CharField(label="Why it is waived", max_length=2000)


@licensor_page
def licences(request):
    rows = (
        Licence.objects.visible_to(request.user)
        .select_related("partner", "programme", "renewal")
        .annotate(
            fees_outstanding=Sum("fees__amount", filter=Q(fees__status__in=LicenceFee.OUTSTANDING)),
            fees_overdue=Count("fees", filter=Q(fees__status=LicenceFee.Status.OVERDUE)),
        )
        .order_by("partner__name", "-starts_on")[:LICENCES_SHOWN]
    )
    return render(request, "web/console/licences.html", {"console_nav": "licences", "licences": rows})


@require_http_methods(["GET", "POST"])
@licensor_page
def licence_new(request):
    form = LicenceForm(request.POST or None, initial={"starts_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            licence = services.create_licence(by=request.user, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            show_refusal(form, error)
        else:
            messages.success(request, f"Licence {licence.reference} is drafted; put it in force when it is signed.")
            return redirect("console-licence", licence.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/console/licence_new.html", {"console_nav": "licences", "form": form}, status=status)


def _licence_or_404(request, licence_id):
    return get_object_or_404(
        Licence.objects.visible_to(request.user).select_related("partner", "programme", "renews", "renewal"),
        pk=licence_id,
    )


@licensor_page
def licence_detail(request, licence_id, *, problem=None, status=200):
    licence = _licence_or_404(request, licence_id)
    fees = list(LicenceFee.objects.filter(licence=licence).order_by("due_on", "kind"))
    return render(
        request,
        "web/console/licence.html",
        {
            "console_nav": "licences",
            "licence": licence,
            "fees": fees,
            "actions": [(name, ACTION_LABELS[name]) for name in Licence.actions_from(licence.status)],
            "can_renew": services.renewal_refusal(licence) is None,
            "problem": problem,
            "today": timezone.localdate(),
        },
        status=status,
    )


@require_POST
@licensor_page
def licence_action(request, licence_id):
    licence = _licence_or_404(request, licence_id)
    action = request.POST.get("action", "")
    if action not in Licence.ACTIONS:
        return licence_detail(request, licence_id, problem="Choose what to do with the licence.", status=400)
    try:
        services.transition_licence(by=request.user, licence=licence, action=action, note=request.POST.get("note", ""))
    except DomainError as error:
        return licence_detail(request, licence_id, problem=error.message, status=400)
    messages.success(request, f"Licence {licence.reference}: {ACTION_LABELS[action].lower()} — done.")
    return redirect("console-licence", licence.pk)


@require_POST
@licensor_page
def licence_renew(request, licence_id):
    licence = _licence_or_404(request, licence_id)
    try:
        renewal = services.renew_licence(by=request.user, licence=licence)
    except DomainError as error:
        return licence_detail(request, licence_id, problem=error.message, status=400)
    messages.success(request, f"The next term, {renewal.reference}, is drafted from {renewal.starts_on:%-d %B %Y}.")
    return redirect("console-licence", renewal.pk)


@licensor_page
def fees(request):
    rows = (
        LicenceFee.objects.visible_to(request.user).select_related("partner", "licence").order_by("due_on", "reference")
    )
    show = request.GET.get("show", "outstanding")
    if show == "outstanding":
        rows = rows.outstanding()
    return render(
        request,
        "web/console/fees.html",
        {"console_nav": "fees", "fees": rows[:FEES_SHOWN], "show": show, "today": timezone.localdate()},
    )


@require_http_methods(["GET", "POST"])
@licensor_page
def fee_detail(request, licence_fee_id):
    fee = get_object_or_404(
        LicenceFee.objects.visible_to(request.user).select_related("partner", "licence"), pk=licence_fee_id
    )
    payment = PaymentForm(initial={"paid_on": timezone.localdate()}, prefix="pay")
    waiver = WaiverForm(prefix="waive")
    if request.method == "POST":
        kind, form = (
            ("pay", PaymentForm(request.POST, prefix="pay"))
            if "pay-paid_on" in request.POST
            else (
                "waive",
                WaiverForm(request.POST, prefix="waive"),
            )
        )
        if form.is_valid():
            try:
                if kind == "pay":
                    services.pay_fee(by=request.user, fee=fee, **form.cleaned_data)
                else:
                    services.waive_fee(by=request.user, fee=fee, note=form.cleaned_data["note"])
            except (DomainError, ValidationError) as error:
                show_refusal(form, error)
            else:
                messages.success(request, f"{fee.reference}: {'payment recorded' if kind == 'pay' else 'waived'}.")
                return redirect("console-licence", fee.licence_id)
        if kind == "pay":
            payment = form
        else:
            waiver = form
    return render(
        request,
        "web/console/fee.html",
        {"console_nav": "fees", "fee": fee, "payment": payment, "waiver": waiver},
        status=400 if request.method == "POST" else 200,
    )


urlpatterns = [
    path("licences/", licences, name="console-licences"),
    path("licences/new/", licence_new, name="console-licence-new"),
    path("licences/<uuid:licence_id>/", licence_detail, name="console-licence"),
    path("licences/<uuid:licence_id>/renew/", licence_renew, name="console-licence-renew"),
    path("licences/<uuid:licence_id>/status/", licence_action, name="console-licence-action"),
    path("fees/", fees, name="console-fees"),
    path("fees/<uuid:licence_fee_id>/", fee_detail, name="console-fee"),
]
