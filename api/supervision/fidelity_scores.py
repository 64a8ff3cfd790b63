"""The partner scorecard over HTTP: every partner's score, one partner's history, the licensor's weights.

The figures are supervision.fidelity.scorecard's; this module pages, shapes and documents them.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import Invalid
from supervision.fidelity import scorecard


class ComponentSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=list(scorecard.DEFAULT_WEIGHTS))
    weight = serializers.IntegerField(help_text="The licensor's weight of this component, 0–100.")
    value = serializers.FloatField(
        allow_null=True, help_text="numerator / denominator as a percentage, one decimal; null when missing."
    )
    numerator = serializers.FloatField(help_text="What met the standard (a count, or the audit's points).")
    denominator = serializers.FloatField(help_text="What was measured; 0 makes the component missing.")

    def to_representation(self, component):
        return component.as_dict()


class PartnerScoreSerializer(serializers.Serializer):
    partner = serializers.UUIDField(source="partner_id")
    score = serializers.IntegerField(
        allow_null=True,
        help_text="0–100: the weighted mean of the components present (a missing one re-weights the rest); "
        "null when none is present.",
    )
    components = ComponentSerializer(many=True)
    computed_at = serializers.DateTimeField(read_only=True)


class PartnerScoreFilter(serializers.Serializer):
    partner = serializers.UUIDField(required=False)


class PartnerScoreViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every partner's fidelity score with its components, each with how it was computed. The licensor reads
    every partner, a coordinator their own; other roles get an empty list."""

    serializer_class = PartnerScoreSerializer
    filter_backends = []

    def get_queryset(self):
        return scorecard.scored_partners(self.request.user).values_list("pk", flat=True)

    @extend_schema(parameters=[OpenApiParameter("partner", str, description="One partner's score only (its id).")])
    def list(self, request, *args, **kwargs):
        wanted = PartnerScoreFilter(data=request.query_params)
        wanted.is_valid(raise_exception=True)
        partners = self.get_queryset()
        if "partner" in wanted.validated_data:
            partners = partners.filter(pk=wanted.validated_data["partner"])
        page = self.paginate_queryset(partners)
        scores = scorecard.partner_scores(request.user, partner_ids=page) if page else []
        return self.get_paginated_response(self.get_serializer(scores, many=True).data)


class ScoreHistoryRowSerializer(serializers.Serializer):
    date = serializers.DateField()
    score = serializers.IntegerField(allow_null=True)


class ScoreHistoryQuery(serializers.Serializer):
    since = serializers.DateField(required=False, help_text="The first day to list (12 months ago by default).")


class ScoreHistoryView(APIView):
    """A partner's score per stored daily snapshot, oldest first: the last 12 months, or from `?since=`. The
    partner's coordinators and the licensor read it."""

    @extend_schema(parameters=[ScoreHistoryQuery], responses=ScoreHistoryRowSerializer(many=True))
    def get(self, request, pk):
        query = ScoreHistoryQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        history = scorecard.score_history(request.user, pk, since=query.validated_data.get("since"))
        return Response(ScoreHistoryRowSerializer([{"date": on, "score": s} for on, s in history], many=True).data)


WeightsSerializer = inline_serializer(
    "ScorecardWeights",
    {
        code: serializers.IntegerField(min_value=0, max_value=scorecard.MAX_WEIGHT, required=False)
        for code in scorecard.DEFAULT_WEIGHTS
    },
)


class ScorecardWeightsView(APIView):
    """The scorecard's weight per component code. Everyone who reads scores reads them; the licensor changes
    some or all of them (PATCH `{code: weight}`, whole numbers 0–100, not all 0); a bad code or weight is a 400
    naming it, and then nothing is changed."""

    @extend_schema(responses=WeightsSerializer)
    def get(self, request):
        return Response(scorecard.weights())

    @extend_schema(request=WeightsSerializer, responses=WeightsSerializer)
    def patch(self, request):
        if not isinstance(request.data, dict):
            raise Invalid("Send an object of component codes and their weights.", code="not_an_object")
        return Response(scorecard.set_weights(request.user, dict(request.data)))
