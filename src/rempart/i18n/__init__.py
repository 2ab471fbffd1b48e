"""User-facing text through gettext. French is the default language; English is second.

Source strings (msgids) are written in English in the code and wrapped in ``_()``;
the French catalogue ``locale/fr/LC_MESSAGES/rempart.po`` translates them. The
compiled ``.mo`` files are built from the ``.po`` files by ``scripts/i18n.py compile``
and a test keeps them in step.

The language is chosen, in order, by ``--lang``, the ``REMPART_LANG`` variable, the
settings file, the locale (``LANG``/``LC_ALL``/``LC_MESSAGES``), and finally French.
"""

from __future__ import annotations

import gettext as _gettext
import os
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "rempart"
SUPPORTED = ("fr", "en")
DEFAULT = "fr"

_current = DEFAULT
_translation: _gettext.NullTranslations = _gettext.NullTranslations()


def normalise(lang: str | None) -> str | None:
    """``"fr_FR.UTF-8"`` → ``"fr"``; unsupported or empty → ``None``."""
    if not lang:
        return None
    code = lang.split(".")[0].split("@")[0].split("_")[0].split("-")[0].lower()
    return code if code in SUPPORTED else None


def detect(explicit: str | None = None, configured: str | None = None) -> str:
    """The language to use, following the order documented above."""
    for candidate in (explicit, os.environ.get("REMPART_LANG"), configured):
        code = normalise(candidate)
        if code:
            return code
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value and value not in ("C", "POSIX", "C.UTF-8"):
            code = normalise(value)
            if code:
                return code
    return DEFAULT


def set_language(lang: str) -> None:
    """Switch every later ``_()`` call to ``lang`` (``"fr"`` or ``"en"``)."""
    global _current, _translation
    code = normalise(lang) or DEFAULT
    _current = code
    if code == "en":
        _translation = _gettext.NullTranslations()
    else:
        _translation = _gettext.translation(
            DOMAIN, localedir=str(LOCALE_DIR), languages=[code], fallback=True
        )


def current_language() -> str:
    return _current


def _(message: str) -> str:
    """Translate ``message`` (an English msgid) into the current language."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


set_language(detect())  # --lang, when given, switches again (cli/main.py)

__all__ = ["DEFAULT", "SUPPORTED", "_", "current_language", "detect", "ngettext", "set_language"]
