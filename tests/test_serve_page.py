"""coach serve's page in a real browser: Debian's chromium, headless, driven by Playwright
(no browser is downloaded: the system's chromium is named by its path)."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_serve_app import mini_in_japanese

from conftest import Served, user_routine

#: A browser, and sessions rendered for it: the full lane.
pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
#: A phone's screen (CSS pixels), as the page is mostly used.
PHONE = {"width": 412, "height": 915}


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "chromium is not installed: run scripts/setup"
    with sync_playwright() as p:
        # Autoplay allowed: a test has no user to tap play.
        found = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--autoplay-policy=no-user-gesture-required"],
        )
        try:
            yield found
        finally:
            found.close()


class Page:
    """A fresh browser page that records console errors and uncaught exceptions."""

    def __init__(self, browser: object) -> None:
        self.context = browser.new_context(viewport=PHONE, device_scale_factor=2)  # type: ignore[attr-defined]
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def page(browser: object) -> Iterator[Page]:
    found = Page(browser)
    try:
        yield found
    finally:
        found.close()


def _player(p: object) -> None:
    """Wait for the player's chapters (the session is rendered on first request); an error
    the page shows instead fails at once, with its message."""
    p.wait_for_selector("#chapters button, #error:not([hidden])", timeout=120_000)  # type: ignore[attr-defined]
    assert p.is_hidden("#error"), p.text_content("#error")  # type: ignore[attr-defined]


def test_a_deep_link_plays_with_chapters_and_lock_screen_metadata(
    served: Served, own_folders, page: Page, tmp_path
):
    user_routine(own_folders)
    p = page.page
    p.goto(f"{served.base}/?routine=mini&pace=fast&autoplay=1&token={served.token}")
    _player(p)
    starts = [
        float(s)
        for s in p.eval_on_selector_all("#chapters button", "bs => bs.map(b => b.dataset.start)")
    ]
    chapters = served.get("/api/chapters.json?routine=mini&pace=fast")[2]
    expected = json.loads(chapters)["chapters"]
    assert starts == [c["startTime"] for c in expected]
    assert p.text_content("#title") == "Mini"

    # Playback starts and time moves on.
    p.wait_for_function("document.getElementById('audio').currentTime > 0.5", timeout=30_000)
    assert p.evaluate("document.getElementById('audio').paused") is False
    assert p.get_attribute("#chapters li:nth-child(1)", "aria-current") == "step"
    meta = p.evaluate(
        "(() => { const m = navigator.mediaSession.metadata; "
        "return m && {title: m.title, album: m.album, artist: m.artist}; })()"
    )
    assert meta == {"title": expected[0]["title"], "album": "Mini", "artist": "coach"}
    left = p.text_content("#left")
    assert left and left.endswith(" left")

    # A tap on a chapter lands on its data-start, highlights it and names it on the lock screen.
    target = 3
    p.click(f"#chapters li:nth-child({target}) button")
    start = starts[target - 1]
    p.wait_for_function(
        f"(() => {{ const a = document.getElementById('audio'); "
        f"return !a.seeking && a.currentTime >= {start} && a.currentTime < {start} + 2; }})()",
        timeout=30_000,
    )
    p.wait_for_function(
        f"document.querySelector('#chapters li:nth-child({target})')"
        ".getAttribute('aria-current') === 'step'",
        timeout=10_000,
    )
    assert p.evaluate("navigator.mediaSession.metadata.title") == expected[target - 1]["title"]
    assert p.text_content("#step").startswith(f"{target}/{len(expected)} ")
    p.wait_for_function(
        f"document.getElementById('audio').currentTime > {start} + 0.3", timeout=30_000
    )  # and plays on from there
    assert p.is_visible("#wake")
    assert p.get_attribute("#download", "href").startswith("/api/session.mp3?")
    _screenshot(p, tmp_path / "serve-player.png")

    # To the end, sixteen times as fast: the practice is in the history as coach play's is.
    p.evaluate("document.getElementById('audio').playbackRate = 16")
    p.wait_for_function("document.getElementById('audio').ended", timeout=60_000)
    (entry,) = _history_when(lambda e: e and e[0]["outcome"] == "finished")
    assert entry["routine"] == "mini" and entry["steps_done"] == entry["steps_total"] == 2
    # Heard: the start up to the tap, then from step 3 on (a seek is not listening).
    total = json.loads(chapters)["chapters"][-1]["endTime"]
    assert 0.5 + (total - start) - 3 <= entry["seconds"] <= total
    assert page.errors == []


def _history_when(done, timeout: float = 30) -> list[dict]:
    """``coach log --json`` once ``done`` holds for it (the page reports without waiting)."""
    import time

    from coach import cli

    deadline = time.monotonic() + timeout
    while True:
        import contextlib
        import io

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert cli.run(["log", "--json"]) == 0
        entries = json.loads(out.getvalue() or "[]")
        if done(entries) or time.monotonic() > deadline:
            return entries
        time.sleep(0.2)


def _screenshot(p: object, path: Path) -> None:
    """The page as a phone shows it; copied into the folder COACH_SCREENSHOTS names, when
    set (README's pictures in docs/ are made so)."""
    p.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    assert path.stat().st_size > 10_000
    wanted = os.environ.get("COACH_SCREENSHOTS")
    if wanted:
        shutil.copyfile(path, Path(wanted) / path.name)


def test_the_chooser_lists_routines_with_lengths_and_links_to_the_player(
    served: Served, own_folders, page: Page, tmp_path
):
    user_routine(own_folders)
    (own_folders["config"] / "config.toml").write_text('pace = "slow"\n')
    p = page.page
    p.goto(f"{served.base}/?token={served.token}")
    p.wait_for_selector("#routines a[data-routine=mini]")
    text = p.text_content("#routines")
    for name in ("anma", "quick", "mini"):
        assert name in text
    assert "about " in text and " min" in text and "steps" in text
    assert p.input_value("select[name=pace]") == "slow"  # from the settings file
    assert p.get_attribute("#routines a[data-routine=mini]", "href") == "/?routine=mini"
    p.select_option("select[name=talk]", "less")
    p.fill("input[name=minutes]", "2")
    href = p.get_attribute("#routines a[data-routine=mini]", "href")
    assert href == "/?routine=mini&minutes=2&talk=less"
    _screenshot(p, tmp_path / "serve-routines.png")
    p.click("#routines a[data-routine=mini]")  # the cookie carries the token from here
    _player(p)
    assert p.url.endswith(href) and p.text_content("#title") == "Mini"
    assert page.errors == []


def test_an_error_shows_the_command_lines_message(
    served: Served, own_folders, page: Page, capsys, tmp_path
):
    from coach import cli

    p = page.page
    p.goto(f"{served.base}/?routine=quick&pace=brisk&token={served.token}")
    p.wait_for_selector("#error:not([hidden])")
    assert cli.run(["export", "quick", "--pace", "brisk", "-o", str(tmp_path / "q.mp3")]) == 2
    assert "coach: " + p.text_content("#error") == capsys.readouterr().err.strip()
    # The page's own fetch of the failed API call is a console error; nothing else is.
    assert all("400" in e for e in page.errors), page.errors


def test_a_routine_in_japanese_is_offered_and_its_page_follows_the_session(
    served: Served, own_folders, page: Page
):
    # The chooser offers each language a routine is written in, by its name in itself;
    # the player of a Japanese session is Japanese around the session's own words: <html
    # lang>, the chapters, the step, time left, its links and the lock screen.
    mini_in_japanese(own_folders)
    p = page.page
    p.goto(f"{served.base}/?token={served.token}")
    offered = "#routines a[data-routine=mini][data-language=ja]"
    p.wait_for_selector(offered)
    assert p.text_content(offered) == "日本語"
    assert p.get_attribute(offered, "lang") == p.get_attribute(offered, "hreflang") == "ja"
    assert p.text_content("#routines a[data-routine=mini][data-language=en]") == "English"
    assert p.text_content("#routines a[data-routine=quick][data-language=fr]") == "Français"
    assert p.query_selector("#routines a[data-routine=mini]:not([data-language])")
    # eSpeak NG's Japanese voice makes it quickly: the page is what is tested here.
    p.fill("input[name=voice]", "espeak:jpx/ja")
    p.select_option("select[name=pace]", "fast")
    href = p.get_attribute(offered, "href")
    assert href == "/?routine=mini&language=ja&pace=fast&voice=espeak%3Ajpx%2Fja"
    p.goto(f"{served.base}{href}&autoplay=1")
    _player(p)
    assert p.evaluate("document.documentElement.lang") == "ja"
    assert p.text_content("#title") == "ミニ"
    titles = p.eval_on_selector_all(
        "#chapters button span:first-child", "s => s.map(x => x.textContent)"
    )
    assert titles == ["はじめに", "まる", "なで上げ", "おわりに"]
    p.wait_for_function("document.getElementById('audio').currentTime > 0.3", timeout=30_000)
    assert p.text_content("#step") == "1/4 はじめに"
    assert p.text_content("#left").startswith("残り ")
    assert p.evaluate("navigator.mediaSession.metadata.title") == "はじめに"
    assert p.evaluate("navigator.mediaSession.metadata.album") == "ミニ"
    assert p.text_content("#wake-label") == "画面をつけたままにする"
    assert (p.text_content("#back"), p.text_content("#download")) == (
        "ほかのルーティン",
        "ダウンロード",
    )
    shown = p.inner_text("#player")
    assert not re.search(r"[A-Za-z]", shown), shown  # not one English word around it
    assert page.errors == []
