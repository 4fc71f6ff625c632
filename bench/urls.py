"""The portal's URLs plus reference views (bench/views.py) and a what-if (bench/whatif.py), only for benchmarks."""

from django.urls import path

from bench import views, whatif
from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [
    path("bench/bare", views.BareApi.as_view(), name="bench-bare"),
    path("bench/seed", views.SeedSignApi.as_view(), name="bench-seed"),
    path("bench/sign-whatif", whatif.WhatIfSignApi.as_view(), name="bench-sign-whatif"),
    *portal_urlpatterns,
]
