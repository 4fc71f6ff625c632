"""Sign in and out (Django's auth views with the portal's templates), mounted at /accounts/ by portal/urls.py.

Kept outside demo.urls so the names stay "login" and "logout" (settings.LOGIN_URL), not "demo:login".
"""

from django.contrib.auth import views as auth_views
from django.urls import path

from demo.auth_views import LoginView

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
