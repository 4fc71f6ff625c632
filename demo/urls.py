from django.urls import path

from demo import views

app_name = "demo"

urlpatterns = [
    path("", views.regions, name="regions"),
    path("regions/<str:region>/", views.buckets, name="buckets"),
    path("buckets/<str:region>/<str:bucket>/", views.objects, name="objects"),
    path("buckets/<str:region>/<str:bucket>/download/", views.download, name="download"),
    path("buckets/<str:region>/<str:bucket>/delete/", views.delete, name="delete"),
    path("access/", views.my_access, name="access"),
    path("access/tokens/", views.create_token, name="token-create"),
    path("access/tokens/revoke/", views.revoke_token, name="token-revoke"),
]
