"""Sign in and out (Django's auth views with the portal's templates), mounted at /accounts/ by portal/urls.py.

Kept outside demo.urls so the names stay "login" and "logout" (settings.LOGIN_URL), not "demo:login".
"""

from django.contrib.auth import views as auth_views
from django.urls import path

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
