"""The franchise over HTTP: programmes, licences, the policy (baseline, per partner, versions,
acknowledgements) and boundary rules. Views validate shapes and call franchise services."""

from dataclasses import asdict
from decimal import Decimal

from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from api.base import LicensorWrites, ScopedReadOnlyViewSet, ScopedViewSet
from api.fields import TargetPartnerField, VisibleRelatedField
from api.pagination import Pagination
from core.tenancy import COORDINATOR, require_role
from franchise import services
from franchise.models import (
    BaselinePolicy,
    BoundaryRule,
    Criterion,
    Licence,
    LicenceEvent,
    LicenceFee,
    Membership,
    Partner,
    PolicyAcknowledgement,
    PolicyVersion,
    Programme,
    Role,
    Unit,
)
from franchise.policy import effective_policy
from franchise.policy_fields import BOOL, DAYS, GROUPS, POLICY_FIELDS, flatten, nest
from franchise.querysets import with_current_acknowledgement
from supervision.models import Person

# --- programmes -----------------------------------------------------------------------


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["id", "code", "kind", "text"]


class UnitSerializer(serializers.ModelSerializer):
    criteria = CriterionSerializer(many=True, required=False)

    class Meta:
        model = Unit
        fields = ["id", "code", "title", "criteria"]


class ProgrammeSerializer(serializers.ModelSerializer):
    units = UnitSerializer(
        many=True,
        required=False,
        help_text="Matched by code on update: units and criteria given are added or changed; "
        "ones left out are kept (training records may refer to them).",
    )

    class Meta:
        model = Programme
        fields = ["id", "name", "code", "level", "awarding_body", "version", "units"]
        extra_kwargs = {"code": {"validators": []}}


class ProgrammeViewSet(ScopedViewSet):
    """The licensor's programmes with their units and criteria. Everyone signed in reads; the licensor writes."""

    queryset = Programme.objects.with_units_and_criteria()
    serializer_class = ProgrammeSerializer
    permission_classes = [LicensorWrites]
    filterset_fields = ["code"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.create_programme(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_programme(
            by=self.request.user, programme=serializer.instance, **serializer.validated_data
        )
        # The response shows the units as now stored, not the prefetched ones from before the change.
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)


# --- licences -------------------------------------------------------------------------


class LicenceSerializer(serializers.ModelSerializer):
    partner = TargetPartnerField(queryset=Partner.objects.all())
    programme = VisibleRelatedField(queryset=Programme.objects.all())

    one_off_fee = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False, help_text="Due on the first day."
    )
    annual_fee = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        help_text="Due on the first day of each year of the term.",
    )
    currency = serializers.RegexField(
        r"^[A-Za-z]{3}$", required=False, help_text="ISO 4217 code; the licensor's currency (GBP) when left out."
    )

    class Meta:
        model = Licence
        fields = [
            "id",
            "partner",
            "programme",
            "reference",
            "starts_on",
            "ends_on",
            "territory",
            "status",
            "one_off_fee",
            "annual_fee",
            "currency",
        ]
        read_only_fields = ["id", "status"]
        # Uniqueness and date order are the service's to check, with messages naming the clash.
        extra_kwargs = {"reference": {"validators": []}}
        validators = []


class LicenceRenewSerializer(serializers.Serializer):
    reference = serializers.CharField(
        required=False,
        max_length=60,
        help_text="The next term's reference; the current one with -R1, -R2… if left out.",
    )


class LicenceActionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="Why, for the record.")


class LicenceEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = LicenceEvent
        fields = ["from_status", "to_status", "at", "by", "note"]


class LicenceFilter(filters.FilterSet):
    ends_before = filters.DateFilter(field_name="ends_on", lookup_expr="lte")
    ends_after = filters.DateFilter(field_name="ends_on", lookup_expr="gte")

    class Meta:
        model = Licence
        fields = ["partner", "programme", "status"]


_ILLEGAL = OpenApiResponse(description="The licence's status does not allow this; `allowed` names what it does.")


class LicenceViewSet(ScopedViewSet):
    """Licences: the licensor issues and changes them; a partner's coordinators read their own.

    A licence is created as a draft; `activate` puts it in force. Licences are
    records and are never deleted: `terminate` ends one.
    """

    queryset = Licence.objects.select_related("partner", "programme")
    serializer_class = LicenceSerializer
    permission_classes = [LicensorWrites]
    filterset_class = LicenceFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.create_licence(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_licence(
            by=self.request.user, licence=serializer.instance, **serializer.validated_data
        )

    def _act(self, request, service):
        licence = self.get_object()
        body = LicenceActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        licence = service(by=request.user, licence=licence, note=body.validated_data["note"])
        return Response(LicenceSerializer(licence, context=self.get_serializer_context()).data)

    @extend_schema(request=LicenceActionSerializer, responses={200: LicenceSerializer, 409: _ILLEGAL})
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        """Put a draft licence in force (400 if another active licence overlaps its dates)."""
        return self._act(request, services.activate_licence)

    @extend_schema(request=LicenceActionSerializer, responses={200: LicenceSerializer, 409: _ILLEGAL})
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        return self._act(request, services.suspend_licence)

    @extend_schema(request=LicenceActionSerializer, responses={200: LicenceSerializer, 409: _ILLEGAL})
    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None):
        return self._act(request, services.reinstate_licence)

    @extend_schema(request=LicenceActionSerializer, responses={200: LicenceSerializer, 409: _ILLEGAL})
    @action(detail=True, methods=["post"])
    def terminate(self, request, pk=None):
        return self._act(request, services.terminate_licence)

    @extend_schema(responses=LicenceEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def events(self, request, pk=None):
        """The licence's status history, oldest first."""
        licence = self.get_object()
        return Response(LicenceEventSerializer(licence.events.all(), many=True).data)

    @extend_schema(request=LicenceRenewSerializer, responses={201: LicenceSerializer})
    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        """Draft the next term: same partner, programme, territory and annual fee, as long as this one, from the
        day after it ends (400 `renewal_drafted` when it exists). It is put in force with `activate`."""
        licence = self.get_object()
        body = LicenceRenewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        renewal = services.renew_licence(by=request.user, licence=licence, **body.validated_data)
        return Response(
            LicenceSerializer(renewal, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )


# --- licence fees ---------------------------------------------------------------------------


class LicenceFeeSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True, read_only=True)

    class Meta:
        model = LicenceFee
        fields = ["id", "licence", "partner", "reference", "amount", "currency", "due_on", "status", "paid_on", "note"]
        read_only_fields = fields


class FeePaymentSerializer(serializers.Serializer):
    paid_on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class FeeWaiverSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, help_text="Why the fee is waived.")


class LicenceFeeFilter(filters.FilterSet):
    due_before = filters.DateFilter(field_name="due_on", lookup_expr="lte")
    due_after = filters.DateFilter(field_name="due_on", lookup_expr="gte")

    class Meta:
        model = LicenceFee
        fields = ["partner", "licence", "status"]


class LicenceFeeViewSet(ScopedReadOnlyViewSet):
    """What partners owe under their licences, one record per instalment; the licensor records payments and
    waivers, a partner's coordinators read their own. Tandem records; it takes no payments."""

    queryset = LicenceFee.objects.all()
    serializer_class = LicenceFeeSerializer
    filterset_class = LicenceFeeFilter

    @extend_schema(request=FeePaymentSerializer, responses=LicenceFeeSerializer)
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        """Record that the instalment was paid in full on `paid_on` (not in the future)."""
        fee = self.get_object()
        body = FeePaymentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fee = services.pay_fee(by=request.user, fee=fee, **body.validated_data)
        return Response(self.get_serializer(fee).data)

    @extend_schema(request=FeeWaiverSerializer, responses=LicenceFeeSerializer)
    @action(detail=True, methods=["post"])
    def waive(self, request, pk=None):
        """Let an instalment go, saying why."""
        fee = self.get_object()
        body = FeeWaiverSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fee = services.waive_fee(by=request.user, fee=fee, note=body.validated_data["note"])
        return Response(self.get_serializer(fee).data)


# --- policy values: serializers built from the one table of fields -------------------------


def _value_field(policy_field, *, read_only=False, allow_null=False):
    options = {"help_text": policy_field.help_text}
    if read_only:
        options["read_only"] = True
    else:
        options.update(required=False, allow_null=allow_null)
    if policy_field.kind == BOOL:
        return serializers.BooleanField(**options)
    if policy_field.kind == DAYS:
        return serializers.ListField(child=serializers.IntegerField(), **options)
    return serializers.IntegerField(**options)


def policy_values_serializer(name, *, read_only=False, allow_null=False, before=None, after=None):
    """A Serializer class with one field per policy field (grouped fields as one nested object),
    between the fields given in `before` and `after`."""
    attrs = {"__doc__": "Policy values; each field's help says which way partners may move it.", **(before or {})}
    for policy_field in POLICY_FIELDS:
        if policy_field.group:
            if policy_field.group not in attrs:
                members = GROUPS[policy_field.group]
                nested = type(
                    f"{name}{policy_field.group.title().replace('_', '')}",
                    (serializers.Serializer,),
                    {m.key: _value_field(m, read_only=read_only, allow_null=allow_null) for m in members},
                )
                attrs[policy_field.group] = nested(read_only=read_only) if read_only else nested(required=False)
            continue
        attrs[policy_field.name] = _value_field(policy_field, read_only=read_only, allow_null=allow_null)
    attrs.update(after or {})
    return type(name, (serializers.Serializer,), attrs)


PolicyValues = policy_values_serializer("PolicyValues", read_only=True)
BaselinePolicyInput = policy_values_serializer("BaselinePolicyInput")
PolicyOverridesInput = policy_values_serializer("PolicyOverridesInput", allow_null=True)


def _flat_changes(serializer_class, data):
    """Validate a PATCH body against `serializer_class`; unknown names are refused, not ignored."""
    if not isinstance(data, dict):
        raise serializers.ValidationError({"non_field_errors": ["Send an object of policy fields."]})
    flat, unknown = flatten(data)
    if unknown:
        raise serializers.ValidationError({name: ["Not a policy field."] for name in unknown})
    serializer = serializer_class(data=data, partial=True)
    serializer.is_valid(raise_exception=True)
    flat, _ = flatten(serializer.validated_data)
    return flat


BaselinePolicySerializer = policy_values_serializer(
    "BaselinePolicy",
    read_only=True,
    after={
        "updated_at": serializers.DateTimeField(read_only=True),
        "updated_by": serializers.UUIDField(read_only=True, source="updated_by_id", allow_null=True),
    },
)


def baseline_payload(baseline):
    return {**nest(baseline.values()), "updated_at": baseline.updated_at, "updated_by_id": baseline.updated_by_id}


class BaselinePolicyView(APIView):
    """The licensor's baseline: the minimum standards every partner's policy keeps.

    Everyone signed in reads it; licensor admins change it. Tightening it makes
    partners' looser overrides fall back to it, recorded in each partner's new version.
    """

    @extend_schema(responses=BaselinePolicySerializer)
    def get(self, request):
        return Response(BaselinePolicySerializer(baseline_payload(BaselinePolicy.load())).data)

    @extend_schema(request=BaselinePolicyInput, responses=BaselinePolicySerializer)
    def patch(self, request):
        changes = _flat_changes(BaselinePolicyInput, request.data)
        baseline = services.update_baseline(by=request.user, changes=changes)
        return Response(BaselinePolicySerializer(baseline_payload(baseline)).data)


# --- a partner's effective policy ------------------------------------------------------


class RuleInForceSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    code = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField()
    mandatory = serializers.BooleanField()
    baseline = serializers.BooleanField(help_text="A baseline rule of the licensing organisation.")


def _api_names(flat_names):
    shown = []
    for name in sorted(flat_names):
        member = next(f for f in POLICY_FIELDS if f.name == name)
        shown.append(f"{member.group}.{member.key}" if member.group else name)
    return shown


EffectivePolicySerializer = policy_values_serializer(
    "EffectivePolicy",
    read_only=True,
    before={
        "partner": serializers.UUIDField(),
        "version": serializers.IntegerField(allow_null=True, help_text="The number of the version in force."),
        "effective_from": serializers.DateTimeField(allow_null=True),
        "reason": serializers.CharField(allow_blank=True, help_text="What changed in this version."),
    },
    after={
        "overridden": serializers.ListField(
            child=serializers.CharField(), help_text="Fields the partner has set itself."
        ),
        "boundary_rules": RuleInForceSerializer(many=True),
        "acknowledged": serializers.BooleanField(help_text="Has the caller acknowledged the version in force?"),
    },
)


def _visible_partner(request, pk):
    return get_object_or_404(Partner.objects.visible_to(request.user), pk=pk)


def effective_policy_payload(partner, user):
    current = effective_policy(partner)
    version = current.version
    acknowledged = (
        version is not None and PolicyAcknowledgement.objects.filter(policy_version=version, person__user=user).exists()
    )
    return {
        "partner": partner.pk,
        "version": version.number if version else None,
        "effective_from": version.effective_from if version else None,
        "reason": version.reason if version else "",
        **current.nested_values(),
        "overridden": _api_names(current.overridden),
        "boundary_rules": [asdict(rule) for rule in current.boundary_rules],
        "acknowledged": acknowledged,
    }


class PartnerPolicyView(APIView):
    """A partner's effective policy: the baseline, the partner's own tighter values, and the boundary rules.

    Every member of the partner reads it; its coordinators (and the licensor)
    change the partner's own values with PATCH — `null` returns a field to the
    baseline. A value looser than the baseline is a 400 naming the field and
    the baseline value. Each change writes a new version.
    """

    @extend_schema(responses=EffectivePolicySerializer)
    def get(self, request, pk):
        partner = _visible_partner(request, pk)
        return Response(EffectivePolicySerializer(effective_policy_payload(partner, request.user)).data)

    @extend_schema(request=PolicyOverridesInput, responses=EffectivePolicySerializer)
    def patch(self, request, pk):
        partner = _visible_partner(request, pk)
        require_role(
            request.user, partner, (COORDINATOR,), message="Only the partner's coordinators change its policy."
        )
        changes = _flat_changes(PolicyOverridesInput, request.data)
        services.update_policy_overrides(by=request.user, partner=partner, changes=changes)
        return Response(EffectivePolicySerializer(effective_policy_payload(partner, request.user)).data)


class PolicyVersionSerializer(serializers.ModelSerializer):
    changed_by_name = serializers.CharField(source="changed_by.name", default=None, read_only=True)
    values = serializers.SerializerMethodField()
    overridden = serializers.SerializerMethodField()
    boundary_rules = RuleInForceSerializer(many=True)

    class Meta:
        model = PolicyVersion
        fields = [
            "id",
            "number",
            "effective_from",
            "changed_by",
            "changed_by_name",
            "reason",
            "values",
            "overridden",
            "fallbacks",
            "boundary_rules",
        ]
        read_only_fields = fields

    @extend_schema_field(PolicyValues)
    def get_values(self, version):
        return nest(version.values)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_overridden(self, version):
        return _api_names(version.overridden)


class PolicyVersionListView(generics.ListAPIView):
    """A partner's policy versions, newest first. The partner's coordinators and the licensor read them."""

    serializer_class = PolicyVersionSerializer
    pagination_class = Pagination
    filter_backends = []

    def get_queryset(self):
        partner = _visible_partner(self.request, self.kwargs["pk"])
        require_role(
            self.request.user,
            partner,
            (COORDINATOR,),
            message="Only the partner's coordinators read its policy history.",
        )
        return (
            PolicyVersion.objects.visible_to(self.request.user)
            .filter(partner=partner)
            .select_related("changed_by")
            .order_by("-number")
        )


class AcknowledgeSerializer(serializers.Serializer):
    person = VisibleRelatedField(
        queryset=Person.objects.all(),
        required=False,
        allow_null=True,
        help_text="Leave out to acknowledge for yourself; a coordinator names the person whose signed "
        "paper acknowledgement they record.",
    )
    version = serializers.IntegerField(
        required=False, allow_null=True, help_text="The version number read; refused if it is no longer in force."
    )


class PolicyAcknowledgementSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="policy_version.number", read_only=True)
    person_name = serializers.CharField(source="person.name", read_only=True)

    class Meta:
        model = PolicyAcknowledgement
        fields = ["id", "partner", "version", "person", "person_name", "acknowledged_at", "method", "recorded_by"]
        read_only_fields = fields


class AcknowledgePolicyView(APIView):
    """Acknowledge the policy version in force (its boundary rules above all).

    201 when recorded now, 200 when the person had already acknowledged this version.
    """

    @extend_schema(
        request=AcknowledgeSerializer,
        responses={201: PolicyAcknowledgementSerializer, 200: PolicyAcknowledgementSerializer},
    )
    def post(self, request, pk):
        partner = _visible_partner(request, pk)
        body = AcknowledgeSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        acknowledgement, created = services.acknowledge_policy(
            by=request.user,
            partner=partner,
            person=body.validated_data.get("person"),
            version_number=body.validated_data.get("version"),
        )
        return Response(
            PolicyAcknowledgementSerializer(acknowledgement).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class UnacknowledgedSerializer(serializers.Serializer):
    person = serializers.UUIDField(allow_null=True, help_text="Null for a member with a login but no profile yet.")
    user = serializers.UUIDField(allow_null=True)
    name = serializers.CharField()
    email = serializers.CharField(allow_blank=True)
    roles = serializers.ListField(child=serializers.CharField())


ACKNOWLEDGING_ROLES = (Role.TRAINER, Role.SUPERVISOR, Role.MENTOR)


class UnacknowledgedView(generics.GenericAPIView):
    """Who has not acknowledged the version in force: the partner's people, and its trainers,
    supervisors and mentors who have a login but no profile yet. Coordinators and the licensor read it."""

    serializer_class = UnacknowledgedSerializer
    pagination_class = Pagination
    filter_backends = []

    @extend_schema(responses=UnacknowledgedSerializer(many=True))
    def get(self, request, pk):
        partner = _visible_partner(request, pk)
        require_role(request.user, partner, (COORDINATOR,), message="Only the partner's coordinators read this list.")
        roles_by_user = {}
        for user_id, role, name, email in Membership.objects.filter(
            partner=partner, role__in=ACKNOWLEDGING_ROLES
        ).values_list("user_id", "role", "user__name", "user__email"):
            entry = roles_by_user.setdefault(user_id, {"roles": [], "name": name or email, "email": email})
            entry["roles"].append(role)
        rows, with_profile = [], set()
        people = with_current_acknowledgement(Person.objects.filter(partner=partner)).order_by("name")
        for person in people.values("pk", "user_id", "name", "email", "acknowledged_current_policy"):
            with_profile.add(person["user_id"])
            if person["acknowledged_current_policy"]:
                continue
            roles = roles_by_user.get(person["user_id"], {}).get("roles", [])
            rows.append(
                {
                    "person": person["pk"],
                    "user": person["user_id"],
                    "name": person["name"],
                    "email": person["email"],
                    "roles": sorted(roles),
                }
            )
        for user_id, entry in sorted(roles_by_user.items(), key=lambda item: item[1]["name"]):
            if user_id not in with_profile:
                rows.append(
                    {
                        "person": None,
                        "user": user_id,
                        "name": entry["name"],
                        "email": entry["email"],
                        "roles": sorted(entry["roles"]),
                    }
                )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(UnacknowledgedSerializer(page, many=True).data)


# --- boundary rules -------------------------------------------------------------------


class BoundaryRuleSerializer(serializers.ModelSerializer):
    partner = TargetPartnerField(
        queryset=Partner.objects.all(),
        allow_null=True,
        required=False,
        help_text="The partner whose own rule this is; null (or left out) for a baseline rule of the licensor.",
    )

    class Meta:
        model = BoundaryRule
        fields = ["id", "partner", "code", "title", "description", "category", "mandatory", "retired_at"]
        read_only_fields = ["id", "retired_at"]
        validators = []


class BoundaryRuleFilter(filters.FilterSet):
    baseline = filters.BooleanFilter(field_name="partner", lookup_expr="isnull", label="Baseline rules only (or none)")
    retired = filters.BooleanFilter(
        method="filter_retired", label="Include retired rules (true) — by default only rules in force"
    )

    class Meta:
        model = BoundaryRule
        fields = ["partner", "category", "mandatory"]

    def filter_retired(self, queryset, name, value):
        return queryset if value else queryset.filter(retired_at__isnull=True)


class BoundaryRuleViewSet(ScopedViewSet):
    """Boundary rules: the licensor's baseline rules (partner null, mandatory, for every partner) and each
    partner's own. Members read their partner's and the baseline's; coordinators write their partner's;
    only the licensor writes baseline rules. DELETE retires a rule: it leaves the policy but is kept,
    since incidents may have been recorded under it."""

    queryset = BoundaryRule.objects.all()
    serializer_class = BoundaryRuleSerializer
    filterset_class = BoundaryRuleFilter

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list" and self.request.query_params.get("retired") is None:
            queryset = queryset.filter(retired_at__isnull=True)
        return queryset

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.create_boundary_rule(
            by=self.request.user, partner=data.pop("partner", None), **data
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_boundary_rule(
            by=self.request.user, rule=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.retire_boundary_rule(by=self.request.user, rule=instance)
