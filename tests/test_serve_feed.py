"""The podcast feed, read back with feedparser (as podcast apps read it) and its enclosures
fetched and measured with ffprobe."""

from __future__ import annotations

import json
from urllib.parse import urlsplit
from xml.etree import ElementTree

import feedparser
import pytest
from mutagen.mp3 import MP3

from coach.serve.feed import Episode, channel_language, duration
from conftest import MINI, Served, probe, user_routine

PODCAST = "https://podcastindex.org/namespace/1.0"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_duration_is_hours_minutes_seconds():
    assert duration(0.4) == "0:00:00"
    assert duration(59.5) == "0:01:00"
    assert duration(3723.2) == "1:02:03"


@pytest.mark.slow  # renders every routine
def test_the_feed_has_one_exact_episode_per_routine(served: Served, own_folders, tmp_path):
    mini = user_routine(own_folders)
    user_routine(own_folders, "broken", "title = 3\n")  # left out, not a failure
    # Saved settings: every episode is made at them (eSpeak NG: quick to make the five).
    (own_folders["config"] / "config.toml").write_text(
        'pace = "fast"\nmono = true\nvoice = "en-us"\n'
    )
    port = urlsplit(served.base).port
    status, headers, xml = served.get("/feed.xml", {"Host": f"localhost:{port}"}, timeout=900)
    assert status == 200 and headers["content-type"].startswith("application/rss+xml")
    text = xml.decode("utf-8")
    assert 'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"' in text
    assert 'xmlns:podcast="https://podcastindex.org/namespace/1.0"' in text
    feed = feedparser.parse(xml)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "rss20"
    entries = {e.title: e for e in feed.entries}
    items = ElementTree.fromstring(xml).iter("item")
    chapter_links = {item.findtext("guid"): item.find(f"{{{PODCAST}}}chapters") for item in items}
    assert set(entries) == {
        "Anma facial massage",
        "Evening anma",
        "Neck strokes",
        "Quick anma",
        "Mini",
    }
    for entry in feed.entries:
        (enclosure,) = entry.enclosures
        assert enclosure.type == "audio/mpeg"
        # Absolute, on the host the feed was asked through, carrying the token.
        assert enclosure.href.startswith(f"http://localhost:{port}/api/session.mp3?")
        assert f"token={served.token}" in enclosure.href
        status, _, audio = served.get(_path(enclosure.href), token=False)
        assert status == 200 and int(enclosure.length) == len(audio)
        saved = tmp_path / "episode.mp3"
        saved.write_bytes(audio)
        info = probe(saved)
        assert info["streams"][0]["channels"] == 1  # the saved settings apply
        # mutagen reads the LAME tag's delay and padding: the length a player plays.
        assert entry.itunes_duration == duration(MP3(saved).info.length)
        assert len(info["chapters"]) >= 3
        link = chapter_links[entry.id]
        assert link.get("type") == "application/json+chapters"
        status, _, chapters = served.get(_path(link.get("url")), token=False)
        assert status == 200
        starts = [c["startTime"] for c in json.loads(chapters)["chapters"]]
        inside = [float(c["start_time"]) for c in info["chapters"]]  # whole milliseconds
        assert len(starts) == len(inside)
        assert all(abs(a - b) < 0.0015 for a, b in zip(starts, inside)), (starts, inside)
        assert entry.id.startswith("coach-") and entry.published_parsed
        assert entry.language == "en"  # each routine in its file's language
    assert feed.feed.language == "en"
    # The same audio keeps its guid; a changed routine gets a new one, the others not.
    again = feedparser.parse(served.get("/feed.xml", timeout=900)[2])
    assert {e.title: e.id for e in again.entries} == {e.title: e.id for e in feed.entries}
    assert again.entries[0].enclosures[0].href.startswith(served.base)  # the host it was asked by
    mini.write_text(MINI.replace("All done.", "All done, well done."))
    changed = {
        e.title: e.id for e in feedparser.parse(served.get("/feed.xml", timeout=900)[2]).entries
    }
    assert changed["Mini"] != entries["Mini"].id
    assert changed["Quick anma"] == entries["Quick anma"].id


def test_the_channels_language_is_the_one_asked_for_else_most_episodes_one():
    def ep(language: str) -> Episode:
        return Episode("x", "X", "", None, language)  # type: ignore[arg-type]

    assert channel_language([ep("ja"), ep("en"), ep("ja")]) == "ja"
    assert channel_language([ep("ja"), ep("en")]) == "en"  # a tie: the table's order
    assert channel_language([]) == "en"
    assert channel_language([ep("en")], "fr") == "fr"


@pytest.mark.slow  # renders a session
def test_a_feed_in_one_language_has_the_routines_written_in_it(served: Served, own_folders):
    from coach import cli

    user_routine(own_folders)  # English only: not in the French feed
    status, _, xml = served.get("/feed.xml?language=fr", timeout=900)
    assert status == 200
    feed = feedparser.parse(xml)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.language == "fr"
    assert feed.feed.description.startswith("Séances guidées de massage du visage par coach")
    (entry,) = feed.entries
    assert entry.language == "fr" and entry.title == "Anma express"
    assert "language=fr" in entry.enclosures[0].href and "routine=quick" in entry.link
    (link,) = [i.find(f"{{{PODCAST}}}chapters") for i in ElementTree.fromstring(xml).iter("item")]
    status, _, chapters = served.get(_path(link.get("url")), token=False)
    titles = [c["title"] for c in json.loads(chapters)["chapters"]]
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.run(["script", "quick", "--language", "fr", "--json"]) == 0
    assert titles == [c["title"] for c in json.loads(out.getvalue())["chapters"]]
    status, _, body = served.get("/feed.xml?language=tlh")
    assert status == 400 and json.loads(body)["error"].startswith("--language tlh: coach speaks")
