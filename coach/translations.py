"""Making coach's message catalogs with Babel: a tool for translators and the tests
(``scripts/catalogs``, tests/test_phrases.py); coach itself reads the compiled ``.mo``
files with the standard library's gettext (coach.phrases) and never imports Babel.

The template ``coach/locale/coach.pot`` is made from coach.phrases (every phrase with its
key as context). Each ``coach/locale/LANG/LC_MESSAGES/coach.po`` is updated from it (a new
phrase arrives untranslated, a changed one is marked fuzzy, a removed one is dropped) and
compiled to ``coach.mo`` beside it.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from coach import phrases

TEMPLATE = phrases.LOCALE / f"{phrases.DOMAIN}.pot"
#: The date every catalog's header gives: a fixed one, so that making the files again from
#: the same phrases gives the same bytes (and --check can compare them).
_DATE = "2026-12-01 00:00+0000"


def _catalog(code: str | None = None) -> Any:
    """An empty babel Catalog of coach's messages (for ``code``; None: the template)."""
    from babel.messages.catalog import Catalog

    return Catalog(
        locale=code,
        project="coach",
        domain=phrases.DOMAIN,
        charset="utf-8",
        creation_date=_date(),
        revision_date=_date(),
        fuzzy=False,
    )


def template() -> Any:
    """The catalog template (a babel Catalog) of every message coach.phrases defines."""
    catalog = _catalog()
    for context, text in phrases.messages():
        catalog.add(text, context=context)
    return catalog


def po_path(code: str) -> Path:
    return phrases.LOCALE / code / "LC_MESSAGES" / f"{phrases.DOMAIN}.po"


def catalog_codes() -> list[str]:
    """The languages that have a ``.po`` file."""
    return sorted(
        p.parent.parent.name for p in phrases.LOCALE.glob(f"*/LC_MESSAGES/{phrases.DOMAIN}.po")
    )


def read_po(code: str) -> Any:
    from babel.messages.pofile import read_po as read

    with open(po_path(code), "rb") as f:
        return read(f, locale=code)


def _po_bytes(catalog: Any) -> bytes:
    from babel.messages.pofile import write_po

    out = io.BytesIO()
    write_po(
        out,
        catalog,
        width=100,
        omit_header=False,
        sort_output=False,
        no_location=True,
        ignore_obsolete=True,
    )
    return out.getvalue()


def _mo_bytes(catalog: Any) -> bytes:
    from babel.messages.mofile import write_mo

    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def problems(catalog: Any) -> list[str]:
    """What keeps ``catalog`` from being complete: messages missing, untranslated or fuzzy."""
    out = []
    for context, text in phrases.messages():
        message = catalog.get(text, context=context)
        if message is None:
            out.append(f"missing: [{context}] {text!r}")
        elif not message.string:
            out.append(f"untranslated: [{context}] {text!r}")
        elif message.fuzzy:
            out.append(f"fuzzy (the English changed): [{context}] {text!r}")
    return out


def build(code: str) -> tuple[bytes, bytes]:
    """(the ``.po`` updated from the template, its compiled ``.mo``) for language ``code``."""
    catalog = read_po(code)
    catalog.update(template(), update_header_comment=False)
    return _po_bytes(catalog), _mo_bytes(catalog)


def init(code: str) -> Path:
    """A new ``.po`` for ``code`` from the template, every message untranslated."""
    catalog = _catalog(code)
    catalog.update(template())
    path = po_path(code)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_po_bytes(catalog))
    return path


def _date() -> Any:
    import datetime

    return datetime.datetime.strptime(_DATE, "%Y-%m-%d %H:%M%z")


def template_bytes() -> bytes:
    return _po_bytes(template())
