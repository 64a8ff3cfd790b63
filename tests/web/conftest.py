"""Pages are tested as people use them: a browser session signed in as someone (Django's test client)."""

import pytest
from django.test import Client


@pytest.fixture
def page_for(db):
    """A test client signed in (a real session) as the given user; CSRF is checked as in a browser only where a
    test asks for it (Client(enforce_csrf_checks=True))."""

    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make
