from django.http import HttpRequest, HttpResponse
from django.urls import path

app_name = "demo"


def regions(request: HttpRequest) -> HttpResponse:  # placeholder until the demo issue lands
    return HttpResponse("COS Sign Portal")


urlpatterns = [path("", regions, name="regions")]
