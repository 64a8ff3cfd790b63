"""Two-factor sign-in (django-otp): authenticator-app (TOTP) devices with one-time recovery codes, and the
rule of who needs one.

A user enrols a device (its secret is answered once), confirms it with a code from the app — which
issues a fresh set of recovery codes, answered once — and from then on the token login asks for a code
from the app or a recovery code. Confirming a device also signs the user out everywhere else: a token
issued before the device existed was never checked with it.

Where the partner's policy in force has `requires_two_factor` on, its coordinators and supervisors read
incidents in full only once they have a confirmed device; `TANDEM_LICENSOR_REQUIRES_TWO_FACTOR` does the
same for licensor admins.
"""

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import OuterRef
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.errors import Invalid, NotFound, NotPermitted
from core.tenancy import COORDINATOR, SUPERVISOR, access_for
from franchise import tokens
from franchise.models import Partner
from franchise.querysets import policy_value

RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "Recovery codes"
DEFAULT_DEVICE_NAME = "Authenticator app"
# Longer than any code: anything longer is wrong without asking a device.
MAX_CODE_LENGTH = 16


class TwoFactorRequired(NotPermitted):
    def __init__(self, message):
        super().__init__(message, code="two_factor_required")


def devices_of(user):
    """The user's authenticator devices, confirmed or not, oldest first."""
    return TOTPDevice.objects.filter(user=user).order_by("created_at", "id")


def has_two_factor(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def device_of(user, device_id):
    """One of the user's own devices; another user's is answered like one that does not exist."""
    try:
        device_id = int(device_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    device = devices_of(user).filter(pk=device_id).first()
    if device is None:
        raise NotFound()
    return device


@transaction.atomic
def start_enrolment(*, user, name=""):
    """A new, unconfirmed device; an earlier enrolment the user never confirmed is dropped."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=(name or DEFAULT_DEVICE_NAME)[:64], confirmed=False)


def confirm_device(*, user, device, otp, keep_token=None):
    """Confirm `device` with a code from the app; returns the new recovery codes (shown this once).

    Earlier recovery codes stop working, and so does every token of the user's but `keep_token` (the one
    the request that proved the code came with).
    """
    if device.confirmed:
        raise Invalid("This device is already confirmed.", code="device_confirmed", field="otp")
    if not _verify(device, otp):
        raise Invalid("The code is not right: enter the code the app shows now.", code="otp_invalid", field="otp")
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        tokens.revoke_all(by=user, keep=keep_token)
    return codes


def remove_device(*, user, device, otp="", password=""):
    """Remove one of the user's devices, proved with a current code or the password. With the last confirmed
    device go the recovery codes: the login stops asking for a code.

    Not one transaction: a wrong code's throttling (django-otp's, on the device) must outlive the refusal."""
    if not _proves_owner(user, otp, password):
        raise Invalid(
            "Give a current code from your authenticator app, or your password.", code="proof_required", field="otp"
        )
    drop_device(device)


@transaction.atomic
def drop_device(device):
    """Delete `device`; with the user's last confirmed one go their recovery codes. (An operator does this
    for someone who lost their phone: the proof is theirs to check, out of band.)"""
    user_id = device.user_id
    device.delete()
    if not TOTPDevice.objects.filter(user_id=user_id, confirmed=True).exists():
        StaticDevice.objects.filter(user_id=user_id).delete()


def check_sign_in(user, otp):
    """The second step of a login: raises Invalid naming `otp` when the user has a confirmed device and `otp`
    is neither a current code from it nor an unused recovery code (which is used up)."""
    if not has_two_factor(user):
        return
    if not otp:
        raise Invalid(
            "This account signs in with two factors: give the code from your authenticator app in `otp`.",
            code="otp_required",
            field="otp",
        )
    if not _matches_any_device(user, otp):
        raise Invalid("The code is not right, or has been used already.", code="otp_invalid", field="otp")


# --- who needs a second factor ----------------------------------------------------


def required_for_confidential_reads(user, partner_id):
    """Must `user` have a confirmed device to read the partner's confidential records (an incident in full)?"""
    access = access_for(user)
    if access.is_licensor and settings.TANDEM_LICENSOR_REQUIRES_TWO_FACTOR:
        return True
    if not access.has_role(partner_id, (COORDINATOR, SUPERVISOR)):
        return False
    # The policy in force, as effective_policy() reads it, in one query: this is asked on every read.
    required = (
        Partner.objects.filter(pk=partner_id)
        .annotate(required=policy_value("requires_two_factor", partner=OuterRef("pk")))
        .values_list("required", flat=True)
        .first()
    )
    return bool(required)


def require_for_confidential_reads(user, partner_id):
    if required_for_confidential_reads(user, partner_id) and not has_two_factor(user):
        raise TwoFactorRequired(
            "Two-factor sign-in is required to read this: enrol an authenticator app "
            "(POST /api/v1/auth/two-factor/devices/), then sign in again with its code."
        )


# --- internals ----------------------------------------------------------------------


def _clean_code(otp):
    if not isinstance(otp, str):
        return ""
    code = "".join(otp.split()).lower()
    return code if len(code) <= MAX_CODE_LENGTH else ""


def _verify(device, otp):
    code = _clean_code(otp)
    if not code:
        return False
    with transaction.atomic():
        # Locked: two requests with the same code must not both pass (django-otp refuses a code at or
        # before the last verified step, which only holds when the checks are serialised).
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        return device.verify_token(code)


def _matches_any_device(user, otp):
    code = _clean_code(otp)
    if not code:
        return False
    # An app's code is digits, a recovery code letters and digits: each is tried on its own kind of device
    # only, so that using a recovery code does not count as a failure (and a throttle) on the app.
    model = TOTPDevice if code.isdigit() else StaticDevice
    with transaction.atomic():
        devices = model.objects.filter(user=user, confirmed=True).select_for_update()
        return any(device.verify_token(code) for device in devices)


def _proves_owner(user, otp, password):
    if otp and _matches_any_device(user, otp):
        return True
    return bool(password) and authenticate(username=user.email, password=password) == user


def _new_recovery_codes(user):
    device, _ = StaticDevice.objects.get_or_create(user=user, defaults={"name": RECOVERY_DEVICE_NAME})
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    device.token_set.all().delete()
    codes = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = StaticToken.random_token()
        if not code.isdigit():  # all digits would be taken for an app's code (_matches_any_device)
            codes.append(code)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes
