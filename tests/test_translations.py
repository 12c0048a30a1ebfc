"""The message catalogs as files: complete, and made from the current phrases (what
scripts/catalogs --check checks)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from coach import phrases, translations

ROOT = Path(__file__).resolve().parent.parent


def test_the_template_is_made_from_the_current_phrases():
    assert translations.TEMPLATE.read_bytes() == translations.template_bytes()


@pytest.mark.parametrize("code", translations.catalog_codes())
def test_every_catalog_is_complete_current_and_compiled(code):
    assert translations.problems(translations.read_po(code)) == []
    po, mo = translations.build(code)
    path = translations.po_path(code)
    assert path.read_bytes() == po, "run scripts/catalogs"
    assert path.with_suffix(".mo").read_bytes() == mo, "run scripts/catalogs"


def test_a_missing_untranslated_or_changed_message_is_named():
    catalog = translations.read_po("ja")
    catalog.delete(phrases.PHRASES["hold"], context="hold")
    catalog.get(phrases.PHRASES["release"], context="release").string = ""
    catalog.get(phrases.PHRASES["halfway"], context="halfway").flags.add("fuzzy")
    assert translations.problems(catalog) == [
        "fuzzy (the English changed): [halfway] 'Halfway.'",
        "missing: [hold] 'Hold.'",
        "untranslated: [release] 'Release.'",
    ]


def test_japanese_has_a_catalog():
    assert "ja" in translations.catalog_codes()


def test_catalogs_check_passes_on_the_committed_files():
    r = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "catalogs"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
