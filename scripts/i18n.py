"""Keep the French catalogue in step with the code.

    uv run python scripts/i18n.py extract   # add new msgids to rempart.po (keeps translations)
    uv run python scripts/i18n.py compile   # rempart.po → rempart.mo
    uv run python scripts/i18n.py check     # exit 1 if a msgid is untranslated or the .mo is stale

Msgids are the English text passed to ``_()`` in ``src/rempart``; ``check`` also runs as a
test (tests/i18n) so that no French user meets an English sentence.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "rempart"
PO = SRC / "i18n" / "locale" / "fr" / "LC_MESSAGES" / "rempart.po"
MO = PO.with_suffix(".mo")


def extract() -> Catalog:
    template = Catalog(project="rempart", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(SRC),
        method_map=[("**.py", "python")],
        keywords={"_": None, "ngettext": (1, 2)},
        comment_tags=("TRANSLATORS:",),
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def load_po() -> Catalog:
    if not PO.exists():
        return Catalog(locale="fr", project="rempart", charset="utf-8", fuzzy=False)
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    catalog.fuzzy = False  # a fuzzy header would be dropped from the .mo, and its charset with it
    return catalog


def cmd_extract() -> int:
    catalog = load_po()
    catalog.update(extract(), no_fuzzy_matching=True)
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, ignore_obsolete=True, sort_output=True)
    missing = untranslated(catalog)
    print(f"{len(catalog)} messages, {len(missing)} untranslated")
    return 0


def compiled_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog)
    return buf.getvalue()


def cmd_compile() -> int:
    catalog = load_po()
    MO.write_bytes(compiled_bytes(catalog))
    print(f"wrote {MO.relative_to(ROOT)}")
    return 0


def untranslated(catalog: Catalog) -> list[str]:
    out = []
    for msg in catalog:
        if not msg.id:
            continue
        strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
        if not all(strings) or msg.fuzzy:
            out.append(msg.id if isinstance(msg.id, str) else msg.id[0])
    return out


def problems() -> list[str]:
    """What is wrong with the catalogue, one line each (empty: all good)."""
    catalog = load_po()
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    out = []
    for msg in extract():
        key = msg.id if isinstance(msg.id, str) else msg.id[0]
        if key and key not in known:
            out.append(f"not in rempart.po (run extract): {key!r}")
    out += [f"untranslated: {m!r}" for m in untranslated(catalog)]
    if not MO.exists():
        out.append("rempart.mo missing (run compile)")
    else:
        with MO.open("rb") as fh:
            mo = read_mo(fh)
        if _pairs(mo) != _pairs(catalog):
            out.append("rempart.mo is stale (run compile)")
    return out


def _pairs(catalog: Catalog) -> dict[object, object]:
    """msgid → msgstr, plural forms as tuples (the .mo reader gives lists)."""

    def key(value: object) -> object:
        return tuple(value) if isinstance(value, (list, tuple)) else value

    return {key(m.id): key(m.string) for m in catalog if m.id}


def cmd_check() -> int:
    found = problems()
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    commands = {"extract": cmd_extract, "compile": cmd_compile, "check": cmd_check}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        print(__doc__)
        sys.exit(2)
    sys.exit(commands[sys.argv[1]]())
