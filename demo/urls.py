from django.urls import path

from demo import bucket_pages, my_access, preview, views

app_name = "demo"

urlpatterns = [
    path("", views.regions, name="regions"),
    path("regions/<str:region>/", views.buckets, name="buckets"),
    path("buckets/<str:region>/<str:bucket>/", views.objects, name="objects"),
    path("buckets/<str:region>/<str:bucket>/download/", views.download, name="download"),
    path("buckets/<str:region>/<str:bucket>/delete/", views.delete, name="delete"),
    path("buckets/<str:region>/<str:bucket>/preview/", preview.preview, name="preview"),
    path("buckets/<str:region>/<str:bucket>/preview/file/", preview.preview_file, name="preview-file"),
    path("buckets/<str:region>/<str:bucket>/details/", bucket_pages.bucket_details, name="bucket-details"),
    path("buckets/<str:region>/<str:bucket>/delete-bucket/", bucket_pages.bucket_delete, name="bucket-delete"),
    path("access/", my_access.my_access, name="access"),
    path("access/policy/", my_access.choose_policy, name="policy-choose"),
    path("access/tokens/", my_access.create_token, name="token-create"),
    path("access/tokens/revoke/", my_access.revoke_token, name="token-revoke"),
]
