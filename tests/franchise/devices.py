"""Two-factor devices for tests: enrol and confirm through the domain, and real TOTP codes computed from a
device's key (django_otp.oath.totp), as an authenticator app would."""

import time

from django_otp.oath import totp

from franchise import two_factor


def code_for(device):
    """The code an app on a synchronised clock shows now, or the next one when this step's code has been
    used already (django-otp accepts each step's code once, and the steps either side of its clock)."""
    device.refresh_from_db()
    now_t = (int(time.time()) - device.t0) // device.step
    target = max(now_t + device.drift, device.last_t + 1)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, target - now_t):0{device.digits}d}"


def wrong_code_for(device):
    right = int(code_for(device))
    return f"{(right + 1) % 10**device.digits:0{device.digits}d}"


def enrolled(user, name="Phone"):
    """A confirmed device for `user`; returns (device, recovery codes)."""
    device = two_factor.start_enrolment(user=user, name=name)
    codes = two_factor.confirm_device(user=user, device=device, otp=code_for(device))
    device.refresh_from_db()
    return device, codes
