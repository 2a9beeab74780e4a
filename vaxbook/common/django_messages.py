"""Django's own messages that its Vietnamese catalogue leaves untranslated and that a form of ours may show (a NUL
typed into a text field: "Null characters are not allowed." in English on a Vietnamese page). Named here so that
`makemessages` keeps their entries in our catalogue, which Django reads before its own (LOCALE_PATHS)."""

from django.utils.translation import gettext_noop

DJANGO_MESSAGES = (
    gettext_noop("Null characters are not allowed."),
    gettext_noop("Enter a complete value."),
    gettext_noop("Enter a valid UUID."),
    gettext_noop("Enter a valid JSON."),
    gettext_noop("Enter a valid duration."),
    gettext_noop("“%(pk)s” is not a valid value."),
)
