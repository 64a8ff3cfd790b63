"""Every demo account that signs in to the pages lands on a home that shows the demo's own data."""

import pytest

from franchise.models import User

PARTNERS = {"northside": "Northside Women's Centre", "harbour": "Harbour Justice Trust"}

# (account, what its home must show): a heading of its role's part and a row only the demo holds.
HOMES = [
    ("coordinator@northside.example", ["As coordinator", "Incidents awaiting review", "Leah Turner"]),
    ("coordinator@harbour.example", ["As coordinator", "Supervision overdue or due soon"]),
    ("supervisor@northside.example", ["Your supervisees"]),
    ("supervisor@harbour.example", ["Your supervisees"]),
    ("mentor@northside.example", ["Your next sessions", "Your calendar link", "Report a boundary incident"]),
    ("mentor@harbour.example", ["Your next sessions", "Your calendar link", "Report a boundary incident"]),
    ("trainer@northside.example", ["As trainer", "Peer Training and Mentoring — summer cohort", "Abi Nolan"]),
    ("trainer2@northside.example", ["As trainer", "To be verified", "Abi Nolan"]),
]


@pytest.mark.parametrize(("email", "shown"), HOMES, ids=[email for email, _ in HOMES])
def test_each_demo_account_lands_on_a_home_with_the_demo_data(demo, page_for, email, shown):
    client = page_for(User.objects.get(email=email))

    home = client.get("/", follow=True)

    slug = email.split("@")[1].split(".")[0]
    assert home.wsgi_request.path == f"/{slug}/"
    page = home.content.decode()
    assert f"Today at {PARTNERS[slug]}".replace("'", "&#x27;") in page
    missing = [text for text in shown if text.replace("'", "&#x27;") not in page]
    assert not missing, f"{email}'s home lacks {missing}"
