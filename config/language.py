"""The language of each user, kept with the user rather than with the browser.

Someone who picks Italian on the shop's tablet finds Bottega in Italian on the back-office PC
too, and a colleague who signs in on that same tablet gets their own language back. Until a
user chooses, Django's ``LocaleMiddleware`` decides as before (the language cookie, then the
browser's ``Accept-Language``).
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views import i18n
from django.views.decorators.http import require_POST

from stores.models import UserSettings


def is_offered(language: str) -> bool:
    return language in dict(settings.LANGUAGES)


class UserSettingsBackend(ModelBackend):
    """Django's ModelBackend, reading the signed-in user's settings in the same query as the
    user, so that knowing their language costs a page no query of its own."""

    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = User._default_manager.select_related("bottega_settings").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class UserLanguageMiddleware:
    """Activate the signed-in user's own language. Goes after ``AuthenticationMiddleware``
    (it reads ``request.user``, whose settings ``UserSettingsBackend`` has loaded with it) and
    after ``LocaleMiddleware``, whose choice it overrides."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            try:
                language = request.user.bottega_settings.language
            except UserSettings.DoesNotExist:  # has not chosen yet
                language = ""
            if is_offered(language):
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's ``set_language`` (the cookie, the redirect to ``next``), and for a signed-in
    user the choice saved with them, so it follows them to any browser they sign in on."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and is_offered(language):
        UserSettings.objects.update_or_create(user=request.user, defaults={"language": language})
    return response
