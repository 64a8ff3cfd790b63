"""The supervisor's part of a partner's home."""


def context(request, here):
    return {}
