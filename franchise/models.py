import uuid

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from franchise.tenancy import CoordinatorQuerySet, MembershipQuerySet, PartnerQuerySet, TenantQuerySet


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
