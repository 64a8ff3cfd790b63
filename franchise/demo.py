"""Demo data for the franchise app: the licensor, partners and their staff."""

from franchise.models import Membership, Partner, Role, User

DEMO_PASSWORD = "tandem-demo-2026"


def _user(world, email, name, description, **fields):
    user = User.objects.create_user(email, DEMO_PASSWORD, name=name, **fields)
    world["accounts"].append((email, description))
    return user


def seed(world):
    world["password"] = DEMO_PASSWORD
    licensor = _user(
        world, "admin@licensor.example", "Alex Morgan", "licensor admin (also Django admin staff)", is_staff=True
    )
    Membership.objects.create(user=licensor, partner=None, role=Role.LICENSOR_ADMIN)

    northside = Partner.objects.create(name="Northside Women's Centre", slug="northside", status=Partner.Status.ACTIVE)
    harbour = Partner.objects.create(name="Harbour Justice Trust", slug="harbour", status=Partner.Status.ACTIVE)
    world.update(licensor=licensor, partners=[northside, harbour], northside=northside, harbour=harbour)

    staff = {}
    for partner, prefix, people in (
        (
            northside,
            "northside",
            [("coordinator", "Priya Shah"), ("trainer", "Jo Bennett"), ("supervisor", "Ruth Okafor")],
        ),
        (harbour, "harbour", [("coordinator", "Dan Price"), ("trainer", "Marek Nowak"), ("supervisor", "Aisha Karim")]),
    ):
        for role, name in people:
            user = _user(world, f"{role}@{prefix}.example", name, f"{role} at {partner.name}")
            Membership.objects.create(user=user, partner=partner, role=role)
            staff[(prefix, role)] = user
    world["staff"] = staff
