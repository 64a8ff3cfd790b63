from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from franchise import services, two_factor
from franchise.admin_site import is_operator
from franchise.models import (
    ApiToken,
    BaselinePolicy,
    BoundaryRule,
    Criterion,
    Invitation,
    Licence,
    LicenceEvent,
    LicenceFee,
    Membership,
    Partner,
    PolicyAcknowledgement,
    PolicyOverride,
    PolicyVersion,
    Programme,
    Unit,
    User,
)


class TandemAdminMixin:
    """The base of every Tandem admin: for operators (active superusers) only, and blind to people's stories.

    Licensor admins are not operators; they work through the API, where
    visibility is decided and incident reads are logged. `confidential` names
    the fields holding free text about people — incident descriptions and
    notes, supervision notes, reflective and contact text — which no admin page
    shows, lists or searches, for superusers neither. A subclass that refuses
    something to everyone overrides the method and returns False.
    """

    confidential = ()

    def has_module_permission(self, request):
        return is_operator(request.user)

    def has_view_permission(self, request, obj=None):
        return is_operator(request.user)

    def has_add_permission(self, request, *args, **kwargs):
        return is_operator(request.user)

    def has_change_permission(self, request, obj=None):
        return is_operator(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_operator(request.user)

    def _open(self, names):
        # Search fields may carry a prefix (^=@) and a lookup path ("notes__icontains").
        return [name for name in names if str(name).lstrip("^=@").split("__")[0] not in self.confidential]

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or ()), *self.confidential]

    def get_fields(self, request, obj=None):
        return self._open(super().get_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        return self._open(super().get_readonly_fields(request, obj))


class TandemModelAdmin(TandemAdminMixin, admin.ModelAdmin):
    """The base of every Tandem ModelAdmin."""

    def get_list_display(self, request):
        return self._open(super().get_list_display(request))

    def get_list_filter(self, request):
        return self._open(super().get_list_filter(request))

    def get_search_fields(self, request):
        return self._open(super().get_search_fields(request))


class TandemTabularInline(TandemAdminMixin, admin.TabularInline):
    pass


class LookUpOnly:
    """Rows written through the domain's services (and their rules), never by hand here."""

    def has_add_permission(self, request, *args, **kwargs):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(LookUpOnly, TandemModelAdmin):
    """Records that are never edited by hand."""


class MembershipInline(LookUpOnly, TandemTabularInline):
    model = Membership
    extra = 0
    fields = ["partner", "role", "created_at"]
    readonly_fields = fields


@admin.register(User)
class UserAdmin(TandemAdminMixin, DjangoUserAdmin):
    """Operators disable accounts and send password resets; they never set anyone's password.

    An operator who could set a password could sign in as that person. Users
    come from invitations (and create_licensor_admin), so none is added here.
    """

    ordering = ["email"]
    list_display = ["email", "name", "is_active", "is_superuser", "last_login"]
    list_filter = ["is_active", "is_superuser"]
    search_fields = ["email", "name"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "name")}),
        ("Access", {"fields": ("is_active", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    actions = ["send_password_reset"]

    def has_add_permission(self, request):
        return False

    def user_change_password(self, request, id, form_url=""):
        raise PermissionDenied("Passwords are not set in the admin; send the person a password reset instead.")

    @admin.action(description="Send a password reset email")
    def send_password_reset(self, request, queryset):
        sent = [user.email for user in queryset if services.send_password_reset(user)]
        skipped = queryset.count() - len(sent)
        if sent:
            self.message_user(request, f"Sent a password reset link to {', '.join(sent)}.")
        if skipped:
            self.message_user(
                request,
                f"{skipped} account(s) are disabled or have no password, so no link was sent.",
                messages.WARNING,
            )


# Partners, memberships and invitations are the licensor's and the coordinators' business,
# done through the API under their own names (where separation of duties and the last
# licensor admin are checked); operators look them up here.


@admin.register(Partner)
class PartnerAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "status", "time_zone"]
    list_filter = ["status"]
    search_fields = ["name", "slug"]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "partner", "role", "created_at"]
    list_filter = ["role", "partner"]
    search_fields = ["user__email", "user__name"]
    list_select_related = ["user", "partner"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["email", "partner", "role", "created_at", "expires_at", "accepted_at"]
    list_filter = ["role", "partner"]
    search_fields = ["email"]
    list_select_related = ["partner"]
    fields = ["partner", "email", "role", "invited_by", "created_at", "expires_at", "accepted_at", "accepted_by"]


# API tokens and second factors are credentials: the admin may see who holds one and revoke it, but
# never read a key, a hash, a TOTP secret or a recovery code, nor issue one for somebody else.
@admin.register(ApiToken)
class ApiTokenAdmin(TandemAdminMixin, admin.ModelAdmin):
    list_display = ["user", "created", "expiry", "last_used_at"]
    fields = ["user", "created", "expiry", "last_used_at"]
    readonly_fields = fields
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# django-otp's own admins show the TOTP secret (on the add page, and as a QR code) and the recovery codes.
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)


@admin.register(TOTPDevice)
class TwoFactorDeviceAdmin(TandemAdminMixin, admin.ModelAdmin):
    """Operators remove the device of someone who lost it (and their recovery codes)."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    fields = list_display
    readonly_fields = fields
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        two_factor.drop_device(obj)

    def delete_queryset(self, request, queryset):
        for device in queryset:
            two_factor.drop_device(device)


# Roles are memberships, not Django groups; the groups admin would only invite confusion.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


# --- programmes, licences, policy (issue #3) --------------------------------------------
# The licensor writes these through the API's services (licence overlap and lifecycle,
# policy directions and versions), under its own name; operators look them up.


class UnitInline(LookUpOnly, TandemTabularInline):
    model = Unit
    extra = 0
    fields = ["position", "code", "title"]
    show_change_link = True


@admin.register(Programme)
class ProgrammeAdmin(ReadOnlyAdmin):
    list_display = ["name", "code", "level", "awarding_body", "version"]
    search_fields = ["name", "code"]
    inlines = [UnitInline]


class CriterionInline(LookUpOnly, TandemTabularInline):
    model = Criterion
    extra = 0
    fields = ["position", "code", "kind", "text"]


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "programme"]
    list_select_related = ["programme"]
    search_fields = ["code", "title"]
    inlines = [CriterionInline]


@admin.register(Criterion)
class CriterionAdmin(ReadOnlyAdmin):
    list_display = ["code", "kind", "unit", "text"]
    list_filter = ["kind"]
    list_select_related = ["unit"]
    search_fields = ["code", "text"]


class LicenceEventInline(LookUpOnly, TandemTabularInline):
    model = LicenceEvent
    extra = 0
    fields = ["at", "from_status", "to_status", "by", "note"]


@admin.register(Licence)
class LicenceAdmin(ReadOnlyAdmin):
    list_display = ["reference", "partner", "programme", "starts_on", "ends_on", "status"]
    list_filter = ["status", "programme", "partner"]
    list_select_related = ["partner", "programme"]
    search_fields = ["reference", "partner__name"]
    inlines = [LicenceEventInline]


@admin.register(LicenceFee)
class LicenceFeeAdmin(ReadOnlyAdmin):
    list_display = ["reference", "partner", "amount", "currency", "due_on", "status", "paid_on"]
    list_filter = ["status", "kind"]
    list_select_related = ["partner"]
    search_fields = ["reference", "partner__name"]


@admin.register(LicenceEvent)
class LicenceEventAdmin(ReadOnlyAdmin):
    list_display = ["licence", "from_status", "to_status", "at", "by"]
    list_filter = ["to_status"]
    list_select_related = ["licence", "by"]


@admin.register(BaselinePolicy)
class BaselinePolicyAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "updated_at", "updated_by"]


@admin.register(PolicyOverride)
class PolicyOverrideAdmin(ReadOnlyAdmin):
    """A partner's own values: empty means the baseline applies."""

    list_display = ["partner", "updated_at", "updated_by"]
    list_select_related = ["partner", "updated_by"]


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdmin):
    """Versions are immutable: they are read here, never changed."""

    list_display = ["partner", "number", "effective_from", "changed_by", "reason"]
    list_filter = ["partner"]
    list_select_related = ["partner", "changed_by"]


@admin.register(BoundaryRule)
class BoundaryRuleAdmin(ReadOnlyAdmin):
    """Baseline rules have no partner."""

    list_display = ["code", "title", "category", "partner", "mandatory", "retired_at"]
    list_filter = ["category", "mandatory", ("partner", admin.EmptyFieldListFilter), "partner"]
    list_select_related = ["partner"]
    search_fields = ["code", "title"]


@admin.register(PolicyAcknowledgement)
class PolicyAcknowledgementAdmin(ReadOnlyAdmin):
    list_display = ["person", "policy_version", "acknowledged_at", "method", "recorded_by"]
    list_filter = ["method", "partner"]
    list_select_related = ["person", "policy_version__partner", "recorded_by"]
