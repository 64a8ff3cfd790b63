import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from knox.models import AbstractAuthToken, AuthTokenManager

from core.tenancy import CoordinatorQuerySet, TenantQuerySet
from franchise import policy_fields
from franchise.querysets import (
    BoundaryRuleQuerySet,
    CriterionQuerySet,
    LicenceEventQuerySet,
    LicenceFeeQuerySet,
    LicenceQuerySet,
    MembershipQuerySet,
    PartnerQuerySet,
    PolicyAcknowledgementQuerySet,
    PolicyOverrideQuerySet,
    PolicyVersionQuerySet,
    ProgrammeQuerySet,
    UnitQuerySet,
)


class Role(models.TextChoices):
    LICENSOR_ADMIN = "licensor_admin", "Licensor admin"
    COORDINATOR = "coordinator", "Coordinator"
    TRAINER = "trainer", "Trainer"
    SUPERVISOR = "supervisor", "Supervisor"
    MENTOR = "mentor", "Mentor"


PARTNER_ROLES = tuple(role for role in Role.values if role != Role.LICENSOR_ADMIN)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=normalise_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


def normalise_email(email):
    return email.strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in. Users sign in with their email address."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May log in to the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.name or self.email

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)

    def get_full_name(self):
        return self.name

    def get_short_name(self):
        return self.name.split(" ")[0] if self.name else self.email


class Partner(models.Model):
    """A partner organisation licensed to run the programme: the tenant."""

    class Status(models.TextChoices):
        ONBOARDING = "onboarding"
        ACTIVE = "active"
        SUSPENDED = "suspended"
        EXITED = "exited"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ONBOARDING)
    time_zone = models.CharField(
        max_length=64, default="Europe/London", help_text="Where the partner's sessions take place (IANA name)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PartnerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A user's role in one partner, or (partner empty) in the licensing organisation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                name="membership_licensor_has_no_partner",
                condition=(Q(role=Role.LICENSOR_ADMIN) & Q(partner__isnull=True))
                | (~Q(role=Role.LICENSOR_ADMIN) & Q(partner__isnull=False)),
            ),
            models.UniqueConstraint(fields=["user", "partner", "role"], name="membership_unique_role_in_partner"),
            models.UniqueConstraint(
                fields=["user", "role"], condition=Q(partner__isnull=True), name="membership_unique_licensor"
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} ({self.partner or 'licensor'})"


class Invitation(models.Model):
    """A single-use, expiring invitation to take a role. Only a hash of the token is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person = models.ForeignKey(
        "supervision.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
        help_text="The person the invitation was sent for: their profile gets the login once it is accepted.",
    )

    objects = CoordinatorQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="invitation_licensor_has_no_partner",
                condition=(Q(role=Role.LICENSOR_ADMIN) & Q(partner__isnull=True))
                | (~Q(role=Role.LICENSOR_ADMIN) & Q(partner__isnull=False)),
            ),
        ]

    def __str__(self):
        return f"Invitation of {self.email} as {self.get_role_display()}"


class TenantModel(models.Model):
    """Base of every partner-owned row: an opaque id, the owning partner, and tenant scoping.

    The partner of a row never changes once written (serializers keep it read-only).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


# --- the programme ----------------------------------------------------------------


class Programme(models.Model):
    """An accredited programme the licensor owns and licenses to partners."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=40, unique=True)
    level = models.CharField(max_length=40, blank=True, help_text="e.g. Level 3")
    awarding_body = models.CharField(max_length=200, blank=True)
    version = models.CharField(max_length=20, default="1")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class Unit(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="units")
    code = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["position", "code"]
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="unit_code_unique_in_programme")]

    def __str__(self):
        return f"{self.code} {self.title}"


class Criterion(models.Model):
    """What a learner must do (performance, P1…) or know (knowledge, K1…) to pass a unit."""

    class Kind(models.TextChoices):
        PERFORMANCE = "performance"
        KNOWLEDGE = "knowledge"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="criteria")
    code = models.CharField(max_length=10)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField()
    # P10 sorts after P9 only by position, not by code.
    position = models.PositiveSmallIntegerField(default=0)

    objects = CriterionQuerySet.as_manager()

    class Meta:
        ordering = ["position", "code"]
        verbose_name_plural = "criteria"
        constraints = [models.UniqueConstraint(fields=["unit", "code"], name="criterion_code_unique_in_unit")]

    def __str__(self):
        return f"{self.code} {self.text[:60]}"


# --- licences -----------------------------------------------------------------------


class Licence(TenantModel):
    """A partner's right to run a programme between two dates.

    At most one active licence per partner and programme covers any date; the
    services check it (franchise.services.activate_licence and friends) while
    holding a lock on the partner.
    """

    class Status(models.TextChoices):
        DRAFT = "draft"
        ACTIVE = "active"
        SUSPENDED = "suspended"
        EXPIRED = "expired"
        TERMINATED = "terminated"

    # The licensor's actions: name -> (the status it leads to, the statuses it starts from).
    # Expiry (active -> expired) is the periodic task's, not an action.
    ACTIONS = {
        "activate": (Status.ACTIVE, {Status.DRAFT}),
        "suspend": (Status.SUSPENDED, {Status.ACTIVE}),
        "reinstate": (Status.ACTIVE, {Status.SUSPENDED}),
        "terminate": (Status.TERMINATED, {Status.DRAFT, Status.ACTIVE, Status.SUSPENDED}),
    }

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="licences")
    reference = models.CharField(max_length=60, unique=True)
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="The last day the licence covers.")
    territory = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # The fee schedule: amounts in `currency`, decimals (never floats). The one-off fee is due on the first day,
    # the annual fee on the first day of each year of the term; the records are raised when the licence is
    # put in force (franchise.services.fees).
    one_off_fee = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    annual_fee = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(max_length=3, default="GBP", help_text="ISO 4217 code, e.g. GBP.")
    # The term this licence renews, when it was drafted as a renewal.
    renews = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="renewal", editable=False
    )

    objects = LicenceQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "reference"]
        constraints = [
            models.CheckConstraint(name="licence_ends_after_start", condition=Q(ends_on__gte=models.F("starts_on"))),
            models.CheckConstraint(
                name="licence_fees_not_negative", condition=Q(one_off_fee__gte=0) & Q(annual_fee__gte=0)
            ),
        ]
        indexes = [models.Index(fields=["status", "ends_on"], name="licence_status_ends_on")]

    def __str__(self):
        return self.reference

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "The licence cannot end before it starts."})

    @classmethod
    def actions_from(cls, status):
        return sorted(name for name, (_, sources) in cls.ACTIONS.items() if status in sources)

    def covers(self, on_date):
        return self.status == self.Status.ACTIVE and self.starts_on <= on_date <= self.ends_on


class LicenceEvent(TenantModel):
    """One change of a licence's status: who (None for the expiry task), when, why."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=Licence.Status.choices)
    to_status = models.CharField(max_length=20, choices=Licence.Status.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)

    objects = LicenceEventQuerySet.as_manager()

    class Meta:
        ordering = ["at"]

    def __str__(self):
        return f"{self.licence}: {self.from_status} → {self.to_status}"


class LicenceFee(TenantModel):
    """One instalment a partner owes under a licence. Tandem records what is owed and paid; it takes no payments."""

    class Kind(models.TextChoices):
        ONE_OFF = "one_off", "One-off fee"
        ANNUAL = "annual", "Annual fee"

    class Status(models.TextChoices):
        DUE = "due"
        PAID = "paid"
        OVERDUE = "overdue"
        WAIVED = "waived"

    OUTSTANDING = (Status.DUE, Status.OVERDUE)

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="fees")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reference = models.CharField(max_length=80, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DUE)
    paid_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = LicenceFeeQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "reference"]
        constraints = [
            models.UniqueConstraint(fields=["licence", "kind", "due_on"], name="licence_fee_once_per_instalment"),
            models.CheckConstraint(name="licence_fee_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="licence_fee_paid_on_when_paid",
                condition=Q(status="paid", paid_on__isnull=False) | (~Q(status="paid") & Q(paid_on__isnull=True)),
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="licence_fee_status_due")]

    def __str__(self):
        return f"{self.reference}: {self.amount} {self.currency} due {self.due_on.isoformat()} ({self.status})"


# --- policy -------------------------------------------------------------------------
# Each policy field is declared once, in franchise.policy_fields, with its
# direction; the columns below are generated from that table.


class BaselinePolicy(models.Model):
    """The licensor's minimum standards: exactly one row."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "baseline policy"
        verbose_name_plural = "baseline policy"
        constraints = [models.CheckConstraint(name="baseline_policy_single_row", condition=Q(id=1))]

    def __str__(self):
        return "Baseline policy"

    @classmethod
    def load(cls):
        baseline, _ = cls.objects.get_or_create(pk=1)
        return baseline

    def values(self):
        return {field.name: getattr(self, field.name) for field in policy_fields.POLICY_FIELDS}


for _field in policy_fields.POLICY_FIELDS:
    BaselinePolicy.add_to_class(_field.name, _field.baseline_column())


class PolicyOverride(TenantModel):
    """A partner's own settings, each tighter than the baseline or empty (the baseline applies)."""

    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PolicyOverrideQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner"], name="policy_override_one_per_partner")]

    def __str__(self):
        return f"Policy overrides of {self.partner}"

    def values(self):
        """Only the fields the partner has set."""
        return {
            field.name: getattr(self, field.name)
            for field in policy_fields.OVERRIDABLE
            if getattr(self, field.name) is not None
        }


for _field in policy_fields.OVERRIDABLE:
    PolicyOverride.add_to_class(_field.name, _field.override_column())


class PolicyVersion(TenantModel):
    """The effective policy of one partner from `effective_from` on: immutable once written.

    `values` holds every policy field (flat names), `boundary_rules` the rules
    in force as they read then, `overridden` the fields the partner had set,
    and `fallbacks` the overrides dropped because the baseline was tightened.
    """

    number = models.PositiveIntegerField()
    effective_from = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    values = models.JSONField()
    overridden = models.JSONField(default=list)
    boundary_rules = models.JSONField(default=list)
    fallbacks = models.JSONField(default=list)

    objects = PolicyVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "number"], name="policy_version_number_unique_in_partner")
        ]
        indexes = [models.Index(fields=["partner", "effective_from"], name="policy_version_in_force")]

    def __str__(self):
        return f"{self.partner} policy v{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("A policy version is immutable; write a new version instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("A policy version is immutable and is never deleted.")


class BoundaryRule(models.Model):
    """A boundary a mentor keeps. Baseline rules (no partner) bind every partner and are mandatory."""

    class Category(models.TextChoices):
        CONTACT = "contact"
        CONFIDENTIALITY = "confidentiality"
        DUAL_RELATIONSHIP = "dual_relationship"
        GIFTS_MONEY = "gifts_money"
        SELF_DISCLOSURE = "self_disclosure"
        OVER_IDENTIFICATION = "over_identification"
        SAFEGUARDING = "safeguarding"
        OTHER = "other"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="boundary_rules",
        help_text="Empty for a baseline rule of the licensing organisation.",
    )
    code = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    description = models.TextField()
    category = models.CharField(max_length=30, choices=Category.choices)
    mandatory = models.BooleanField(default=True)
    # Rules are retired, not deleted: incidents recorded under a rule keep pointing at it.
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BoundaryRuleQuerySet.as_manager()

    class Meta:
        ordering = [models.F("partner").asc(nulls_first=True), "code"]
        constraints = [
            models.CheckConstraint(
                name="baseline_rule_is_mandatory", condition=Q(partner__isnull=False) | Q(mandatory=True)
            ),
            models.UniqueConstraint(
                fields=["partner", "code"],
                condition=Q(retired_at__isnull=True, partner__isnull=False),
                name="boundary_rule_code_unique_in_partner",
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(retired_at__isnull=True, partner__isnull=True),
                name="boundary_rule_code_unique_in_baseline",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    @property
    def is_baseline(self):
        return self.partner_id is None

    def snapshot(self):
        return {
            "id": str(self.pk),
            "code": self.code,
            "title": self.title,
            "description": self.description,
            "category": self.category,
            "mandatory": self.mandatory,
            "baseline": self.is_baseline,
        }


class PolicyAcknowledgement(TenantModel):
    """A person's acknowledgement of one policy version: given in Tandem, or on signed paper and recorded."""

    class Method(models.TextChoices):
        SELF = "self"
        PAPER = "paper"

    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="acknowledgements")
    person = models.ForeignKey("supervision.Person", on_delete=models.PROTECT, related_name="policy_acknowledgements")
    acknowledged_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.SELF)

    objects = PolicyAcknowledgementQuerySet.as_manager()

    class Meta:
        ordering = ["-acknowledged_at"]
        constraints = [
            models.UniqueConstraint(fields=["policy_version", "person"], name="acknowledgement_once_per_version")
        ]

    def __str__(self):
        return f"{self.person} acknowledged {self.policy_version}"


# --- API tokens -----------------------------------------------------------------------


class ApiTokenQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A user's own tokens, and nobody else's: not even a licensor admin lists another user's."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user_id=user.pk)

    def live(self, now=None):
        return self.filter(expiry__gt=now or timezone.now())


class ApiToken(AbstractAuthToken):
    """An API token (django-rest-knox): only a hash of the key is stored, so nobody reads a key after it is
    issued — not an operator, not a database dump. The key's first characters (`token_key`) are kept to
    find the row; they are not enough to use it.

    A uuid, not the digest, is the primary key: a user lists and revokes their tokens by id, and the id
    must not be the hash.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    digest = models.CharField(max_length=128, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    # knox's manager: create() returns (token, key) and is the only moment the key exists in clear.
    objects = AuthTokenManager.from_queryset(ApiTokenQuerySet)()

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        # knox's own shows the digest; an admin page title must not.
        return f"API token of {self.user} issued {self.created:%Y-%m-%d %H:%M}"
