from franchise.models import Criterion, Licence, Partner, PolicyAcknowledgement
from franchise.policy import effective_policy


def test_the_demo_has_the_programme_licences_and_policies(demo):
    criteria = Criterion.objects.filter(unit__programme__code="PTM-L3")
    assert list(criteria.filter(kind="performance").values_list("code", flat=True)) == [f"P{n}" for n in range(1, 16)]
    assert list(criteria.filter(kind="knowledge").values_list("code", flat=True)) == [f"K{n}" for n in range(1, 20)]
    assert set(Licence.objects.values_list("status", flat=True)) == {"active"}
    northside, harbour = Partner.objects.get(slug="northside"), Partner.objects.get(slug="harbour")
    assert effective_policy(northside).supervision_interval_days == 28
    assert effective_policy(harbour).supervision_interval_days == 42
    categories = {rule.category for rule in effective_policy(harbour).boundary_rules if rule.baseline}
    assert categories == {
        "contact",
        "confidentiality",
        "dual_relationship",
        "gifts_money",
        "self_disclosure",
        "over_identification",
        "safeguarding",
    }
    assert any(not rule.baseline for rule in effective_policy(northside).boundary_rules)
    acknowledged_by = set(PolicyAcknowledgement.objects.values_list("person__user__email", flat=True))
    assert {"supervisor@northside.example", "trainer@harbour.example"} <= acknowledged_by
