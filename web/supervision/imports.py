"""Pages of this area (routes below, under /<partner_slug>/)."""

urlpatterns = []
