"""The URL walk behind the tenant-isolation and pagination tests reads every kind of route correctly."""

from django.urls import path
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from franchise.models import Partner
from tests.api.routes import Route, _walk


class ThingViewSet(viewsets.ModelViewSet):
    queryset = Partner.objects.all()
    http_method_names = ["get", "post", "patch", "delete"]

    @action(detail=True, methods=["delete"], url_path=r"members/(?P<person_id>[^/.]+)")
    def remove_member(self, request, pk, person_id):
        raise NotImplementedError

    @action(detail=True, methods=["get", "post"])
    def standing(self, request, pk):
        raise NotImplementedError

    @action(detail=False, methods=["get"], url_path=r"verify/(?P<code>[^/.]+)")
    def verify(self, request, code):
        raise NotImplementedError


class PolicyView(APIView):
    def get(self, request, partner_pk):
        raise NotImplementedError

    def patch(self, request, partner_pk):
        raise NotImplementedError


def _routes():
    router = DefaultRouter()
    router.register("things", ThingViewSet, basename="thing")
    patterns = [path("partners/<uuid:partner_pk>/policy/", PolicyView.as_view()), *router.urls]
    return {
        template: Route(template=template, base="/api/v1/", callback=callback)
        for template, callback in _walk(patterns)
        if "{format}" not in template
    }


def test_router_routes_become_templates_with_their_methods():
    routes = _routes()
    assert routes["things/"].methods == ["get", "post"]
    assert routes["things/"].is_router_list
    assert routes["things/{pk}/"].methods == ["get", "patch", "delete"]  # PUT is not in http_method_names
    assert routes["things/{pk}/"].detail and routes["things/{pk}/"].model is Partner


def test_actions_keep_their_extra_kwargs_and_declared_methods():
    routes = _routes()
    members = routes["things/{pk}/members/{person_id}/"]
    assert (members.detail, members.methods, members.lookup_kwarg) == (True, ["delete"], "pk")
    assert routes["things/{pk}/standing/"].methods == ["get", "post"]
    verify = routes["things/verify/{code}/"]
    assert (verify.detail, verify.methods) == (False, ["get"])


def test_plain_views_are_detail_routes_when_they_take_an_id():
    policy = _routes()["partners/{partner_pk}/policy/"]
    assert (policy.is_viewset, policy.detail, policy.lookup_kwarg) == (False, True, "partner_pk")
    assert policy.methods == ["get", "patch"]
    assert policy.url(partner_pk="abc") == "/api/v1/partners/abc/policy/"
