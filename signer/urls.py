from django.urls import path

from signer import api

app_name = "signer"

urlpatterns = [
    path("sign", api.SignApi.as_view(), name="sign"),
    path("sts", api.StsApi.as_view(), name="sts"),
    path("api/auth/login", api.AuthLoginApi.as_view(), name="login-api"),
    path("api/auth/logout", api.AuthLogoutApi.as_view(), name="logout-api"),
]
