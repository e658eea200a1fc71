"""Chinese first: the language is the one a person chose, else zh-hans.

Django's LocaleMiddleware also follows the browser's Accept-Language, which would show
English to every civil servant whose browser happens to be set up in English. Here only the
language cookie (set by the header's language switch, Django's `set_language`) counts.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or settings.LANGUAGE_CODE
        try:
            language = translation.get_supported_language_variant(chosen)
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
