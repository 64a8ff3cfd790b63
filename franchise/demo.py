"""Demo data for the franchise app: the licensor, partners and their staff; the programme, licences and policy."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from franchise import services
from franchise.models import BoundaryRule, LicenceFee, Membership, Partner, Role, User

DEMO_PASSWORD = "tandem-demo-2026"


def _user(world, email, name, description, **fields):
    user = User.objects.create_user(email, DEMO_PASSWORD, name=name, **fields)
    world["accounts"].append((email, description))
    return user


def seed(world):
    world["password"] = DEMO_PASSWORD
    # The Django admin is the operators' tool; the licensor works through the API and holds
    # no partner role (separation of duties), like every demo account here.
    _user(
        world,
        "operator@tandem.example",
        "Olu Operator",
        "operator: the Django admin (superuser, no role in the programme)",
        is_staff=True,
        is_superuser=True,
    )
    licensor = _user(world, "admin@licensor.example", "Alex Morgan", "licensor admin (uses the API, not the admin)")
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
    seed_programme_licences_and_policy(world)


# --- programme, licences, policy (issue #3) -------------------------------------------

PERFORMANCE_CRITERIA = [
    "Recognise when someone could benefit from peer mentoring and find out what support they are looking for.",
    "Agree with the mentee what the mentor and the mentee each do, and what each can expect of the other.",
    "Agree goals with the mentee that are specific, realistic and the mentee's own.",
    "Agree the boundaries of the relationship, including how, when and where contact takes place.",
    "Explain to the mentee what stays confidential and when information has to be passed on.",
    "Behave in an accepting, non-judgemental way throughout mentoring sessions.",
    "Use active listening, open questions and summaries to help the mentee explore their situation.",
    "Choose and adapt resources and activities to suit the mentee's goals and needs.",
    "Give feedback that is honest, specific and encouraging, and ask for feedback in return.",
    "Keep accurate, factual records of sessions as the organisation's procedures require.",
    "Monitor the mentee's progress towards their goals and review the goals together.",
    "Evaluate the mentoring relationship and their own part in it, using the mentee's and supervisor's feedback.",
    "Reflect on their own practice in supervision and agree actions to develop it.",
    "Signpost the mentee to other services when a need falls outside the mentoring role.",
    "Notice and manage their own emotional reactions during mentoring, and ask for support when needed.",
]

KNOWLEDGE_CRITERIA = [
    "The purpose of peer mentoring and what lived experience brings to it.",
    "How peer mentoring differs from befriending, counselling and advocacy.",
    "Signs that a person may want mentoring support, and ways to approach them.",
    "The roles and responsibilities of mentor, mentee, supervisor and coordinator.",
    "Why clear boundaries protect mentor and mentee alike, and the usual ways they become blurred.",
    "How to agree goals that mean something to the mentee.",
    "The organisation's confidentiality policy and the limits of confidentiality.",
    "Data protection law and guidance as they apply to mentoring records.",
    "Safeguarding: signs of abuse, exploitation or harm, and how to report a concern without delay.",
    "How a mentor's own values and assumptions can shape the way they respond to others.",
    "What accepting and non-judgemental behaviour looks like in practice.",
    "Communication skills that build trust, including listening and questioning.",
    "Where to find resources and information that can help a mentee.",
    "How to give and receive constructive feedback.",
    "Why records are kept and what makes a good record.",
    "Ways to monitor progress and to evaluate a mentoring relationship.",
    "Models of reflective practice and what supervision is for.",
    "Local services, and how to signpost or refer someone to them.",
    "How mentoring can stir up one's own memories and feelings, how to spot over-identification, "
    "and ways to look after oneself.",
]

BASELINE_RULES = [
    (
        "BL-CON-1",
        "contact",
        "Contact only through the agreed channel and hours",
        "Mentors contact mentees only through the channel agreed with the coordinator (the project phone or "
        "email) and within the agreed hours; never from a personal number or account.",
    ),
    (
        "BL-CONF-1",
        "confidentiality",
        "Keep what mentees share confidential, within the limits explained",
        "What a mentee shares stays between mentor, supervisor and coordinator, within the limits explained at "
        "the first meeting; nothing is shared outside the project without the mentee's consent, except to keep "
        "someone safe.",
    ),
    (
        "BL-DUAL-1",
        "dual_relationship",
        "No personal social-media connections",
        "No friend requests, follows or private messages on personal accounts, during the match or after it; "
        "no business, romantic or housing arrangement with a mentee.",
    ),
    (
        "BL-GIFT-1",
        "gifts_money",
        "No gifts, loans or money",
        "Mentors neither give nor accept gifts, loans, money or favours. A small token offered is declined kindly "
        "and mentioned at the next supervision.",
    ),
    (
        "BL-SELF-1",
        "self_disclosure",
        "Purposeful self-disclosure only",
        "Share your own experience only when it helps the mentee, briefly and without detail of past trauma, and "
        "bring the focus back to them.",
    ),
    (
        "BL-OVER-1",
        "over_identification",
        "Recognise over-identification and bring it to supervision",
        "When a mentee's story feels like your own, or you feel the urge to rescue, raise it at your next "
        "supervision rather than acting on it.",
    ),
    (
        "BL-SAFE-1",
        "safeguarding",
        "Safeguarding concerns are passed on the same day",
        "Any disclosure or sign of harm is passed to the coordinator or safeguarding lead the same day; a mentor "
        "never promises to keep it secret.",
    ),
]

PARTNER_RULES = {
    "northside": [
        (
            "NS-1",
            "contact",
            "Meet at the centre or an agreed public place",
            "Mentoring meetings take place at the centre or in a public place agreed with the coordinator, never at "
            "either person's home.",
        ),
        (
            "NS-2",
            "safeguarding",
            "Never pass on a mentee's whereabouts",
            "A mentee's address, refuge or routine is never shared with anyone, including family, without the "
            "coordinator's agreement.",
        ),
    ],
    "harbour": [
        (
            "HJ-1",
            "dual_relationship",
            "No contact with a mentee's co-defendants or victims",
            "Mentors have no contact, in person or online, with people connected to a mentee's offence.",
        ),
    ],
}


def seed_programme_licences_and_policy(world):
    licensor = world["licensor"]
    programme = services.create_programme(
        by=licensor,
        name="Peer Training and Mentoring",
        code="PTM-L3",
        level="Level 3",
        awarding_body="Open Awards",
        version="2026.1",
        units=[
            {
                "code": "PTM301",
                "title": "Peer training and mentoring",
                "criteria": [
                    {"code": f"P{n}", "kind": "performance", "text": text}
                    for n, text in enumerate(PERFORMANCE_CRITERIA, start=1)
                ]
                + [
                    {"code": f"K{n}", "kind": "knowledge", "text": text}
                    for n, text in enumerate(KNOWLEDGE_CRITERIA, start=1)
                ],
            }
        ],
    )
    world["programme"] = programme
    world["unit"] = programme.units.get()

    # The starting rule book is loaded as it stands; the versions below freeze it.
    BoundaryRule.objects.bulk_create(
        [
            BoundaryRule(partner=None, code=code, category=category, title=title, description=description)
            for code, category, title, description in BASELINE_RULES
        ]
        + [
            BoundaryRule(partner=world[slug], code=code, category=category, title=title, description=description)
            for slug, rules in PARTNER_RULES.items()
            for code, category, title, description in rules
        ]
    )

    today = timezone.localdate()
    # Northside's licence, a year long, ends within 90 days, so the licence-expiry reminder has something to show.
    terms = {
        "northside": ("NS-PTM-2026", today - timedelta(days=285), today + timedelta(days=79), "Leeds"),
        "harbour": ("HJ-PTM-2026", today - timedelta(days=30), today + timedelta(days=700), "Bristol and Avon"),
    }
    world["licences"] = {}
    for slug, (reference, starts_on, ends_on, territory) in terms.items():
        licence = services.create_licence(
            by=licensor,
            partner=world[slug],
            programme=programme,
            reference=reference,
            starts_on=starts_on,
            ends_on=ends_on,
            territory=territory,
            one_off_fee=Decimal("2500.00"),
            annual_fee=Decimal("4800.00"),
        )
        world["licences"][slug] = services.activate_licence(by=licensor, licence=licence, note="Agreement signed.")
    # Northside has paid what it owes so far; Harbour paid its one-off fee but not this year's, which is overdue,
    # so the console's fees have one of each to show.
    for fee in LicenceFee.objects.filter(licence__in=world["licences"].values()).order_by("due_on", "reference"):
        if fee.due_on <= today and not (fee.partner_id == world["harbour"].pk and fee.kind == LicenceFee.Kind.ANNUAL):
            services.pay_fee(
                by=licensor, fee=fee, paid_on=min(fee.due_on + timedelta(days=9), today), note="Bank transfer."
            )
    services.mark_overdue_fees()

    # Northside supervises every four weeks and asks for more shadowing than the baseline.
    coordinator = world["staff"][("northside", "coordinator")]
    services.update_policy_overrides(
        by=coordinator,
        partner=world["northside"],
        changes={"supervision_interval_days": 28, "shadowing_hours_required": 12},
    )
    services.acknowledge_policy(by=world["staff"][("northside", "supervisor")], partner=world["northside"])
    services.acknowledge_policy(by=world["staff"][("harbour", "trainer")], partner=world["harbour"])
