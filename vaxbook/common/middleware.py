"""Answers of the API that Django or ninja make before any of its handlers run, in the API's error shape."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _


class ApiErrorShapeMiddleware:
    """Under /api/, a 404 for an address with no route and a 405 for a method the route does not take are
    answered as every other refusal of the API (`{"errors": [{field, code, message}]}`, JSON), not with
    Django's HTML pages. The 405 keeps its `Allow` header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code not in (404, 405) or not request.path_info.startswith("/api/"):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response  # the API's own answer (a missing record), already in shape
        if response.status_code == 404:
            item = {"field": "", "code": "not_found", "message": _("There is nothing at this address of the API.")}
        else:
            item = {
                "field": "",
                "code": "method_not_allowed",
                "message": _("This address of the API does not take %(method)s.") % {"method": request.method},
            }
        shaped = JsonResponse({"errors": [item]}, status=response.status_code)
        if "Allow" in response:
            shaped["Allow"] = response["Allow"]
        return shaped
