"""The portal's URLs plus two reference views that exist only in the benchmark configuration."""

from django.urls import path

from bench import views
from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [
    path("bench/bare", views.BareApi.as_view(), name="bench-bare"),
    path("bench/seed", views.SeedSignApi.as_view(), name="bench-seed"),
    *portal_urlpatterns,
]
