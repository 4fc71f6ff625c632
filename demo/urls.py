from django.urls import path

from demo import my_access, views

app_name = "demo"

urlpatterns = [
    path("", views.regions, name="regions"),
    path("regions/<str:region>/", views.buckets, name="buckets"),
    path("buckets/<str:region>/<str:bucket>/", views.objects, name="objects"),
    path("buckets/<str:region>/<str:bucket>/download/", views.download, name="download"),
    path("buckets/<str:region>/<str:bucket>/delete/", views.delete, name="delete"),
    path("access/", my_access.my_access, name="access"),
    path("access/policy/", my_access.choose_policy, name="policy-choose"),
    path("access/tokens/", my_access.create_token, name="token-create"),
    path("access/tokens/revoke/", my_access.revoke_token, name="token-revoke"),
]
