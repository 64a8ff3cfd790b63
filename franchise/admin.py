from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from rest_framework.authtoken.admin import TokenAdmin as DRFTokenAdmin
from rest_framework.authtoken.models import TokenProxy

from franchise import policy as franchise_policy
from franchise import policy_fields, services
from franchise.errors import DomainError
from franchise.models import (
    BaselinePolicy,
    BoundaryRule,
    Criterion,
    Invitation,
    Licence,
    LicenceEvent,
    Membership,
    Partner,
    PolicyAcknowledgement,
    PolicyOverride,
    PolicyVersion,
    Programme,
    Unit,
    User,
)
from franchise.tenancy import access_for


def is_licensor_admin(request):
    return request.user.is_active and request.user.is_staff and access_for(request.user).is_licensor


class TandemAdminMixin:
    """Licensor admins (a licensor membership plus is_staff) manage every model; superusers as usual.

    A licensor admin is not a Django superuser and holds no Django permissions:
    the role is the licensor membership, decided in one place (franchise.tenancy).
    A subclass that refuses something to everyone overrides the method and
    returns False.
    """

    def has_module_permission(self, request):
        return is_licensor_admin(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_licensor_admin(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args, **kwargs):
        return is_licensor_admin(request) or super().has_add_permission(request, *args, **kwargs)

    def has_change_permission(self, request, obj=None):
        return is_licensor_admin(request) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_licensor_admin(request) or super().has_delete_permission(request, obj)


class TandemModelAdmin(TandemAdminMixin, admin.ModelAdmin):
    """The base of every Tandem ModelAdmin."""


class TandemTabularInline(TandemAdminMixin, admin.TabularInline):
    pass


class MembershipInline(TandemTabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["partner"]


@admin.register(User)
class UserAdmin(TandemAdminMixin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_active", "is_staff"]
    search_fields = ["email", "name"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "name", "password")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "name", "password1", "password2")}),)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Django's own permission machinery is for the operators (superusers);
            # a licensor admin must not be able to make anyone, themselves included, one.
            readonly += ["is_superuser", "groups", "user_permissions"]
        return readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Partner)
class PartnerAdmin(TandemModelAdmin):
    list_display = ["name", "slug", "status", "time_zone"]
    list_filter = ["status"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Membership)
class MembershipAdmin(TandemModelAdmin):
    list_display = ["user", "partner", "role", "created_at"]
    list_filter = ["role", "partner"]
    search_fields = ["user__email", "user__name"]
    autocomplete_fields = ["user", "partner"]
    list_select_related = ["user", "partner"]


class InvitationAdminForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["partner", "email", "role"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None and not self.errors:
            try:
                services.check_invitation(
                    by=self.request.user,
                    partner=cleaned.get("partner"),
                    email=cleaned.get("email"),
                    role=cleaned.get("role"),
                )
            except DomainError as exc:
                field = getattr(exc, "field", None)
                self.add_error(field if field in self.fields else None, exc.message)
        return cleaned


@admin.register(Invitation)
class InvitationAdmin(TandemModelAdmin):
    """Invitations are sent, not edited: adding one here emails its link like the API does."""

    form = InvitationAdminForm
    list_display = ["email", "partner", "role", "created_at", "expires_at", "accepted_at"]
    list_filter = ["role", "partner"]
    search_fields = ["email"]
    list_select_related = ["partner"]
    readonly_fields = ["invited_by", "created_at", "expires_at", "accepted_at", "accepted_by"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request = request
        return form

    def get_fields(self, request, obj=None):
        return ["partner", "email", "role"] + (self.readonly_fields if obj is not None else [])

    def has_add_permission(self, request):
        # Only the licensing organisation invites from here (services.invite checks the inviter).
        return is_licensor_admin(request)

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        invitation, _token = services.invite(by=request.user, partner=obj.partner, email=obj.email, role=obj.role)
        obj.pk = invitation.pk
        obj._state.adding = False
        obj.refresh_from_db()


# API tokens are credentials: the admin may see who holds one and revoke it, but
# never read a key or issue one for somebody else.
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class TokenAdmin(TandemAdminMixin, DRFTokenAdmin):
    list_display = ["user", "created"]
    fields = ["user", "created"]
    readonly_fields = ["user", "created"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Roles are memberships, not Django groups; the groups admin would only invite confusion.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


# --- programmes, licences, policy (issue #3) --------------------------------------------
# Writes that carry rules (licence overlap, policy directions, versions) go
# through the same services as the API, so the admin cannot bypass them.


def _form_errors(form, exc):
    """Put a domain or validation error on the form, on its field where the form has one."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    elif isinstance(exc, ValidationError):
        form.add_error(None, exc.messages)
    else:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)


class LicensorOnlyWrites:
    """Changes here run the domain's services, which only licensor admins may call."""

    def has_add_permission(self, request, *args, **kwargs):
        return is_licensor_admin(request)

    def has_change_permission(self, request, obj=None):
        return is_licensor_admin(request)

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(TandemModelAdmin):
    """Records that are never edited by hand."""

    def has_add_permission(self, request, *args, **kwargs):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class UnitInline(TandemTabularInline):
    model = Unit
    extra = 0
    fields = ["position", "code", "title"]
    show_change_link = True


@admin.register(Programme)
class ProgrammeAdmin(TandemModelAdmin):
    list_display = ["name", "code", "level", "awarding_body", "version"]
    search_fields = ["name", "code"]
    inlines = [UnitInline]


class CriterionInline(TandemTabularInline):
    model = Criterion
    extra = 0
    fields = ["position", "code", "kind", "text"]


@admin.register(Unit)
class UnitAdmin(TandemModelAdmin):
    list_display = ["code", "title", "programme"]
    list_select_related = ["programme"]
    search_fields = ["code", "title"]
    inlines = [CriterionInline]


@admin.register(Criterion)
class CriterionAdmin(TandemModelAdmin):
    list_display = ["code", "kind", "unit", "text"]
    list_filter = ["kind"]
    list_select_related = ["unit"]
    search_fields = ["code", "text"]


class LicenceEventInline(TandemTabularInline):
    model = LicenceEvent
    extra = 0
    fields = ["at", "from_status", "to_status", "by", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class LicenceAdminForm(forms.ModelForm):
    class Meta:
        model = Licence
        fields = ["partner", "programme", "reference", "starts_on", "ends_on", "territory"]

    def clean(self):
        cleaned = super().clean()
        licence = self.instance
        if licence.pk and licence.status == Licence.Status.ACTIVE and not self.errors:
            proposed = Licence(
                pk=licence.pk,
                partner_id=licence.partner_id,
                programme_id=licence.programme_id,
                starts_on=cleaned["starts_on"],
                ends_on=cleaned["ends_on"],
            )
            clash = services.licence_clash(proposed)
            if clash is not None:
                self.add_error(None, f"These dates overlap licence {clash.reference}, active for the same programme.")
        return cleaned


def _licence_action(service, verb):
    def run(modeladmin, request, queryset):
        done = 0
        for licence in queryset:
            try:
                service(by=request.user, licence=licence, note="From the admin.")
                done += 1
            except DomainError as exc:
                modeladmin.message_user(request, f"{licence}: {exc.message}", level=messages.ERROR)
        if done:
            modeladmin.message_user(request, f"{verb.capitalize()}d {done} licence(s).")

    run.short_description = f"{verb.capitalize()} the selected licences"
    run.__name__ = f"{verb}_licences"
    return run


@admin.register(Licence)
class LicenceAdmin(LicensorOnlyWrites, TandemModelAdmin):
    """Status moves only through the actions (the same lifecycle as the API); every move is recorded."""

    form = LicenceAdminForm
    list_display = ["reference", "partner", "programme", "starts_on", "ends_on", "status"]
    list_filter = ["status", "programme", "partner"]
    list_select_related = ["partner", "programme"]
    search_fields = ["reference", "partner__name"]
    inlines = [LicenceEventInline]
    actions = [
        _licence_action(services.activate_licence, "activate"),
        _licence_action(services.suspend_licence, "suspend"),
        _licence_action(services.reinstate_licence, "reinstate"),
        _licence_action(services.terminate_licence, "terminate"),
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["status"]
        if obj.status in (Licence.Status.EXPIRED, Licence.Status.TERMINATED):
            return ["partner", "programme", "reference", "starts_on", "ends_on", "territory", "status"]
        return ["partner", "programme", "status", "status_changed_at"]

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        if change:
            services.update_licence(by=request.user, licence=obj, **data)
        else:
            created = services.create_licence(by=request.user, **form.cleaned_data)
            obj.pk, obj.status = created.pk, created.status
            obj._state.adding = False


@admin.register(LicenceEvent)
class LicenceEventAdmin(ReadOnlyAdmin):
    list_display = ["licence", "from_status", "to_status", "at", "by"]
    list_filter = ["to_status"]
    list_select_related = ["licence", "by"]


class BaselinePolicyForm(forms.ModelForm):
    class Meta:
        model = BaselinePolicy
        fields = [field.name for field in policy_fields.POLICY_FIELDS]

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            changes = {name: cleaned[name] for name in self.changed_data}
            try:
                franchise_policy.check_group_sizes({**self.instance.values(), **franchise_policy.clean_values(changes)})
            except ValidationError as exc:
                _form_errors(self, exc)
        return cleaned


@admin.register(BaselinePolicy)
class BaselinePolicyAdmin(LicensorOnlyWrites, TandemModelAdmin):
    """The one baseline row. Saving it writes a new policy version for every partner."""

    form = BaselinePolicyForm
    list_display = ["__str__", "updated_at", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]

    def has_add_permission(self, request, *args, **kwargs):
        return super().has_add_permission(request) and not BaselinePolicy.objects.exists()

    def save_model(self, request, obj, form, change):
        services.update_baseline(by=request.user, changes={name: form.cleaned_data[name] for name in form.changed_data})
        obj.refresh_from_db()


class PolicyOverrideForm(forms.ModelForm):
    class Meta:
        model = PolicyOverride
        fields = ["partner"] + [field.name for field in policy_fields.OVERRIDABLE]

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            changes = {name: cleaned[name] for name in self.changed_data if name != "partner"}
            baseline = BaselinePolicy.load().values()
            try:
                looser = franchise_policy.looser_fields(
                    franchise_policy.clean_values(changes, allow_none=True), baseline
                )
                if looser:
                    raise ValidationError(looser)
                own = {name: cleaned[name] for name in changes} | {
                    name: value for name, value in self.instance.values().items() if name not in changes
                }
                franchise_policy.check_group_sizes({**baseline, **{k: v for k, v in own.items() if v is not None}})
            except ValidationError as exc:
                _form_errors(self, exc)
        return cleaned


@admin.register(PolicyOverride)
class PolicyOverrideAdmin(LicensorOnlyWrites, TandemModelAdmin):
    """A partner's own values: empty means the baseline applies. Saving writes the partner a new version."""

    form = PolicyOverrideForm
    list_display = ["partner", "updated_at", "updated_by"]
    list_select_related = ["partner", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (["partner"] if obj is not None else [])

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "partner"}
        services.update_policy_overrides(by=request.user, partner=obj.partner, changes=changes)
        saved = PolicyOverride.objects.get(partner=obj.partner)
        obj.pk = saved.pk
        obj._state.adding = False


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdmin):
    """Versions are immutable: they are read here, never changed."""

    list_display = ["partner", "number", "effective_from", "changed_by", "reason"]
    list_filter = ["partner"]
    list_select_related = ["partner", "changed_by"]
    readonly_fields = [
        "partner",
        "number",
        "effective_from",
        "changed_by",
        "reason",
        "values",
        "overridden",
        "fallbacks",
        "boundary_rules",
    ]


class BoundaryRuleForm(forms.ModelForm):
    class Meta:
        model = BoundaryRule
        fields = ["partner", "code", "title", "description", "category", "mandatory"]

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            partner = cleaned.get("partner") if self.instance.pk is None else self.instance.partner
            try:
                services.check_rule_code(partner, cleaned["code"], exclude=self.instance if self.instance.pk else None)
            except DomainError as exc:
                _form_errors(self, exc)
        return cleaned


@admin.register(BoundaryRule)
class BoundaryRuleAdmin(LicensorOnlyWrites, TandemModelAdmin):
    """Baseline rules have no partner. Deleting retires a rule (incidents may refer to it); each change
    writes new policy versions."""

    form = BoundaryRuleForm
    list_display = ["code", "title", "category", "partner", "mandatory", "retired_at"]
    list_filter = ["category", "mandatory", ("partner", admin.EmptyFieldListFilter), "partner"]
    list_select_related = ["partner"]
    search_fields = ["code", "title"]

    def get_readonly_fields(self, request, obj=None):
        return ["partner", "retired_at"] if obj is not None else ["retired_at"]

    def has_delete_permission(self, request, obj=None):
        return is_licensor_admin(request)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in form.changed_data if name != "partner"}
        if change:
            services.update_boundary_rule(by=request.user, rule=obj, **data)
        else:
            fields = {
                name: form.cleaned_data[name] for name in ("code", "title", "description", "category", "mandatory")
            }
            created = services.create_boundary_rule(by=request.user, partner=form.cleaned_data["partner"], **fields)
            obj.pk = created.pk
            obj._state.adding = False

    def delete_model(self, request, obj):
        services.retire_boundary_rule(by=request.user, rule=obj)

    def delete_queryset(self, request, queryset):
        for rule in queryset:
            services.retire_boundary_rule(by=request.user, rule=rule)


@admin.register(PolicyAcknowledgement)
class PolicyAcknowledgementAdmin(ReadOnlyAdmin):
    list_display = ["person", "policy_version", "acknowledged_at", "method", "recorded_by"]
    list_filter = ["method", "partner"]
    list_select_related = ["person", "policy_version__partner", "recorded_by"]
