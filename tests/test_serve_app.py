"""coach serve's application over real HTTP (uvicorn on 127.0.0.1): access, the API's
answers against the command line's, byte ranges, and load."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from coach import cli
from conftest import MINI_JA, Served, probe, run_coach, user_routine


def _json(body: bytes) -> dict:
    return json.loads(body.decode("utf-8"))


def test_no_token_is_401_and_a_wrong_one_too(served: Served):
    status, _, body = served.get("/api/routines", token=False)
    assert status == 401 and "token" in _json(body)["error"]
    status, _, _ = served.get("/api/routines?token=" + "x" * 32, token=False)
    assert status == 401
    status, _, _ = served.get("/", token=False)
    assert status == 401


def test_the_token_works_as_query_bearer_and_the_cookie_the_page_sets(served: Served):
    status, headers, body = served.get("/")
    assert status == 200 and b"<audio" in body
    cookie = headers["set-cookie"]
    assert cookie.startswith(f"coach_token={served.token};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert served.get("/api/routines", {"Cookie": cookie.split(";")[0]}, token=False)[0] == 200
    bearer = {"Authorization": f"Bearer {served.token}"}
    assert served.get("/api/routines", bearer, token=False)[0] == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.2", "[::2]"])
def test_a_foreign_host_is_403_even_with_the_token(served: Served, host: str):
    status, _, body = served.get("/api/routines", {"Host": host})
    assert status == 403 and "Host" in _json(body)["error"]


def test_no_cors_headers(served: Served):
    _, headers, _ = served.get("/api/routines", {"Origin": "http://evil.example"})
    assert not [h for h in headers if h.startswith("access-control-")]


def test_routines_as_coach_routines_lists_them(served: Served, own_folders, capsys):
    user_routine(own_folders)
    user_routine(own_folders, "broken", "title = 3\n")
    status, _, body = served.get("/api/routines")
    assert status == 200
    rows = {r["name"]: r for r in _json(body)}
    assert cli.run(["routines"]) == 2  # the broken one
    listed = capsys.readouterr().out.splitlines()
    for line in listed[1:-1]:
        name, where, languages, steps, minutes = line.split()[:5]
        assert rows[name]["from"] == where
        if languages != "-":
            assert ",".join(rows[name]["languages"]) == languages
        if steps != "-":
            assert rows[name]["steps"] == int(steps) and rows[name]["minutes"] == float(minutes)
    assert rows["broken"]["error"] and rows["broken"]["steps"] is None
    assert rows["mini"]["title"] == "Mini"


def _cli_error(capsys, *args: str) -> str:
    """The one line the command line prints for ``coach ARGS``, without ``coach: ``."""
    status = cli.run(list(args))
    err = capsys.readouterr().err.strip()
    assert status == 2 and len(err.splitlines()) == 1, err
    return err.removeprefix("coach: ")


@pytest.mark.parametrize(
    "query, args",
    [
        ("pace=brisk", ["--pace", "brisk"]),
        ("talk=lots", ["--talk", "lots"]),
        ("minutes=0", ["--minutes", "0"]),
        ("minutes=500", ["--minutes", "500"]),
        ("rate=20", ["--rate", "20"]),
        ("tone-volume=40", ["--tone-volume", "40"]),
        ("bed-volume=-99", ["--bed-volume", "-99"]),
        ("bed=forest", ["--bed", "forest"]),
        ("from=9", ["--from", "9"]),
        ("from=zz", ["--from", "zz"]),
    ],
)
def test_every_bad_option_is_400_with_the_command_lines_message(
    served, capsys, tmp_path, query, args
):
    expected = _cli_error(capsys, "export", "quick", "-o", str(tmp_path / "q.mp3"), *args)
    assert not list(tmp_path.iterdir())
    for path in ("/api/session.mp3", "/api/chapters.json", "/api/script"):
        status, headers, body = served.get(f"{path}?routine=quick&{query}")
        assert status == 400, (path, body)
        assert headers["content-type"] == "application/json"
        assert _json(body) == {"error": expected}


@pytest.mark.parametrize(
    "query, words",
    [
        ("count=maybe", ["--count maybe", "true or false"]),
        ("no-tones=perhaps", ["--no-tones perhaps", "true or false"]),
        ("minutes=soon", ["--minutes soon", "a number"]),
        ("rate=fast", ["--rate fast", "whole number"]),
        ("bed=/etc/passwd", ["--bed /etc/passwd", "not a built-in bed"]),
        ("bed=../../x.wav", ["not a built-in bed"]),
        ("color=red", ["unknown option 'color'"]),
        ("sounds=/tmp", ["unknown option 'sounds'"]),
        ("output-dir=/tmp", ["unknown option 'output-dir'"]),
    ],
)
def test_values_the_web_cannot_take_are_400_naming_the_option(served, query, words):
    status, _, body = served.get(f"/api/session.mp3?routine=quick&{query}")
    assert status == 400
    message = _json(body)["error"]
    assert "\n" not in message and all(w in message for w in words), message


@pytest.mark.parametrize("name", ["nope", "../etc/passwd", "/etc/passwd", "anma.toml"])
def test_an_unknown_routine_is_404_and_no_path_is_followed(served, name):
    from urllib.parse import quote

    status, _, body = served.get(f"/api/session.mp3?routine={quote(name)}")
    assert status == 404
    assert _json(body)["error"].startswith(f"no routine named '{name}'")


def test_a_broken_routine_of_yours_is_400_with_its_message(served, own_folders, capsys):
    user_routine(own_folders, "broken", "title = 3\n")
    expected = _cli_error(capsys, "script", "broken")
    status, _, body = served.get("/api/chapters.json?routine=broken")
    assert status == 400 and _json(body) == {"error": expected}


def test_session_bytes_equal_coach_export_and_ranges_are_those_bytes(served, own_folders, tmp_path):
    user_routine(own_folders)
    query = "/api/session.mp3?routine=mini&pace=fast&bed=rain"
    status, headers, body = served.get(query)
    assert status == 200 and headers["content-type"] == "audio/mpeg"
    r = run_coach(
        "export",
        "mini",
        "--pace",
        "fast",
        "--bed",
        "rain",
        "-o",
        tmp_path / "m.mp3",
        "--chapters",
        tmp_path / "m.json",
    )
    assert r.returncode == 0, r.stderr
    exported = (tmp_path / "m.mp3").read_bytes()
    assert body == exported
    assert int(headers["content-length"]) == len(exported)
    etag = headers["etag"]
    status, h, part = served.get(query, {"Range": "bytes=1000-4999"})
    assert status == 206 and part == exported[1000:5000]
    assert h["content-range"] == f"bytes 1000-4999/{len(exported)}" and h["etag"] == etag
    status, _, tail = served.get(query, {"Range": "bytes=-100"})
    assert status == 206 and tail == exported[-100:]
    assert served.get(query, {"If-None-Match": etag})[0] == 304
    status, _, chapters = served.get("/api/chapters.json?routine=mini&pace=fast&bed=rain")
    assert status == 200 and chapters == (tmp_path / "m.json").read_bytes()
    assert served.server.renders.started == 1  # the chapters came with the session


def test_ogg_and_wav_sessions_equal_coach_export(served, own_folders, tmp_path):
    user_routine(own_folders)
    for fmt in ("ogg", "wav"):
        status, headers, body = served.get(f"/api/session.{fmt}?routine=mini&mono=true")
        assert status == 200 and headers["content-type"] == f"audio/{fmt}"
        r = run_coach("export", "mini", "--mono", "-o", tmp_path / f"m.{fmt}")
        assert r.returncode == 0, r.stderr
        exported = tmp_path / f"m.{fmt}"
        assert body == exported.read_bytes()  # OGG too: its muxer is told to be bit-exact
        assert probe(exported)["chapters"] and len(probe(exported)["chapters"]) == 4
    assert served.get("/api/session.flac?routine=mini")[0] == 404


@pytest.mark.slow  # renders sessions
def test_script_is_what_coach_script_json_prints(served, own_folders, capsys):
    user_routine(own_folders)
    status, _, body = served.get("/api/script?routine=mini&talk=less&count=true")
    assert status == 200
    assert cli.run(["script", "mini", "--json", "--talk", "less", "--count"]) == 0
    assert body.decode("utf-8") == capsys.readouterr().out


def test_saved_settings_apply_and_the_query_wins(served, own_folders, tmp_path):
    user_routine(own_folders)
    (own_folders["config"] / "config.toml").write_text('pace = "slow"\nno-tones = true\n')
    status, _, body = served.get("/api/session.wav?routine=mini")
    r = run_coach("export", "mini", "-o", tmp_path / "slow.wav")
    assert r.returncode == 0 and body == (tmp_path / "slow.wav").read_bytes()
    status, _, body = served.get("/api/session.wav?routine=mini&pace=normal&no-tones=false")
    r = run_coach("export", "mini", "--pace", "normal", "--tones", "-o", tmp_path / "n.wav")
    assert r.returncode == 0 and body == (tmp_path / "n.wav").read_bytes()
    status, _, body = served.get("/api/settings")
    assert _json(body)["pace"] == "slow" and _json(body)["no-tones"] is True


@pytest.mark.slow  # renders sessions
def test_ten_clients_asking_for_one_new_session_render_it_once(served, own_folders):
    user_routine(own_folders)
    query = "/api/session.mp3?routine=mini&talk=more"
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: served.get(query), range(10)))
    assert {status for status, _, _ in answers} == {200}
    assert len({body for _, _, body in answers}) == 1
    assert served.server.renders.started == 1
    kept = list((served.server.store.root).iterdir())
    assert not [p for p in kept if p.name.endswith(".part")]


def test_beyond_the_line_is_503_with_retry_after(served, own_folders):
    user_routine(own_folders)
    renders = served.server.renders
    release = threading.Event()
    renders.limit = 2
    blockers = [renders.submit(f"hold-{i}", release.wait) for i in range(2)]
    try:
        status, headers, body = served.get("/api/session.mp3?routine=mini&pace=slow")
        assert status == 503 and int(headers["retry-after"]) > 0
        assert "try again" in _json(body)["error"]
    finally:
        release.set()
        for b in blockers:
            b.result(10)


@pytest.mark.slow  # renders sessions
def test_a_vanished_client_leaves_no_partial_file_and_blocks_no_one(served, own_folders):
    import http.client
    from urllib.parse import urlsplit

    user_routine(own_folders)
    where = urlsplit(served.base)
    gone = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
    gone.request("GET", f"/api/session.mp3?routine=mini&pace=fast&token={served.token}")
    gone.close()  # before the render is done
    assert served.get("/api/routines", timeout=10)[0] == 200  # others are answered meanwhile
    status, headers, body = served.get("/api/session.mp3?routine=mini&pace=fast")
    assert status == 200 and len(body) == int(headers["content-length"])
    assert served.server.renders.started == 1
    assert not [p for p in served.server.store.root.iterdir() if p.name.endswith(".part")]
    # A slow reader: a 1-byte-at-a-time client does not hold up a second one.
    slow = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
    slow.request("GET", f"/api/session.mp3?routine=mini&pace=fast&token={served.token}")
    answer = slow.getresponse()
    answer.read(1)
    try:
        assert served.get("/api/session.mp3?routine=mini&pace=fast", timeout=10)[2] == body
    finally:
        slow.close()


def _post(served: Served, path: str, body: object) -> tuple[int, bytes]:
    import http.client
    from urllib.parse import urlsplit

    where = urlsplit(served.base)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
    try:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        conn.request(
            "POST",
            f"{path}&token={served.token}",
            body=data,
            headers={"Content-Type": "application/json"},
        )
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def _history(capsys) -> list[dict]:
    assert cli.run(["log", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_pages_practice_is_recorded_in_the_history(served, own_folders, capsys):
    user_routine(own_folders)
    path = "/api/progress?routine=mini&pace=fast"
    uid = "ab" * 16
    for report in (
        {"session": uid, "event": "start"},
        {"session": uid, "event": "chapter", "chapter": 0, "seconds": 0},
        {"session": uid, "event": "chapter", "chapter": 1, "seconds": 7.5},
        {"session": uid, "event": "chapter", "chapter": 2, "seconds": 21.25},
    ):
        assert _post(served, path, report)[0] == 204
    (entry,) = _history(capsys)
    assert entry["routine"] == "mini" and entry["outcome"] == "playing"
    assert entry["steps_done"] == 1 and entry["steps_total"] == 2
    assert entry["options"]["pace"] == "fast"
    assert (
        _post(served, path, {"session": uid, "event": "end", "finished": True, "seconds": 56.0})[0]
        == 204
    )
    (entry,) = _history(capsys)
    assert entry["outcome"] == "finished" and entry["steps_done"] == 2 and entry["seconds"] == 56.0
    # A report for a session no one started is no error and records nothing.
    assert _post(served, path, {"session": "cd" * 16, "event": "end", "seconds": 3})[0] == 204
    assert len(_history(capsys)) == 1


def test_history_off_in_the_settings_records_nothing(served, own_folders, capsys):
    user_routine(own_folders)
    (own_folders["config"] / "config.toml").write_text("history = false\n")
    path = "/api/progress?routine=mini"
    assert _post(served, path, {"session": "ef" * 16, "event": "start"})[0] == 204
    assert cli.run(["log", "--json"]) == 0
    assert json.loads(capsys.readouterr().out or "[]") == []


@pytest.mark.parametrize(
    "body, words",
    [
        (b"not json", "a JSON object"),
        ({"session": "x", "event": "start"}, "'session'"),
        ({"session": "ab" * 16, "event": "jump"}, "'event'"),
        ({"session": "ab" * 16, "event": "chapter", "chapter": -1}, "'chapter'"),
        ({"session": "ab" * 16, "event": "end", "seconds": "long"}, "'seconds'"),
        ({"session": "ab" * 16, "event": "end", "finished": "yes"}, "'finished'"),
        (b"{" + b" " * 5000 + b"}", "at most 4096 bytes"),
    ],
)
def test_a_bad_progress_report_is_400(served, body, words):
    status, answer = _post(served, "/api/progress?routine=quick", body)
    assert status == 400 and words in _json(answer)["error"]


def test_a_damaged_history_is_400_with_its_line(served, own_folders):
    user_routine(own_folders)
    history = own_folders["data"] / "history.sqlite3"
    history.parent.mkdir(parents=True)
    history.write_bytes(b"not a database at all " * 10)
    status, answer = _post(
        served, "/api/progress?routine=mini", {"session": "ab" * 16, "event": "start"}
    )
    message = _json(answer)["error"]
    assert status == 400 and str(history) in message and "\n" not in message
    assert history.read_bytes() == b"not a database at all " * 10  # left as it was


def mini_in_japanese(own_folders) -> None:
    """The user's ``mini`` and its Japanese translation beside it (``ja/mini.toml``)."""
    user_routine(own_folders)
    (own_folders["config"] / "routines" / "ja").mkdir()
    (own_folders["config"] / "routines" / "ja" / "mini.toml").write_text(MINI_JA, "utf-8")


def test_the_pages_words_are_in_the_sessions_language(served, own_folders, capsys):
    # Only the routine is looked up (nothing is rendered): the page knows its language and
    # its words before it asks for the session.
    mini_in_japanese(own_folders)
    status, _, body = served.get("/api/words?routine=mini&language=ja")
    assert status == 200
    found = _json(body)
    assert found["language"] == "ja"
    assert found["words"]["back"] == "ほかのルーティン" and found["words"]["left"] == "残り {time}"
    english = _json(served.get("/api/words?routine=mini")[2])
    assert english["language"] == "en" and english["words"]["left"] == "{time} left"
    assert english["words"].keys() == found["words"].keys()
    # A language the routine is not written in: the command line's line.
    expected = _cli_error(capsys, "script", "neck", "--language", "de")
    status, _, body = served.get("/api/words?routine=neck&language=de")
    assert status == 400 and _json(body) == {"error": expected}
    languages = _json(served.get("/api/settings")[2])["languages"]
    assert languages == {
        "en": "English",
        "ja": "日本語",
        "de": "Deutsch",
        "fr": "Français",
        "es": "Español",
    }


def test_a_japanese_session_is_the_one_coach_export_makes(served, own_folders, tmp_path):
    # ?language=ja picks the routine's Japanese file, as --language does (eSpeak NG's
    # Japanese voice: what is tested is the choice of language, not the voice).
    mini_in_japanese(own_folders)
    query = "routine=mini&language=ja&voice=espeak:jpx/ja&pace=fast"
    status, _, body = served.get(f"/api/session.wav?{query}")
    r = run_coach(
        "export", "mini", "--language", "ja", "--voice", "espeak:jpx/ja", "--pace", "fast",
        "-o", tmp_path / "ja.wav", "--chapters", tmp_path / "ja.json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert status == 200 and body == (tmp_path / "ja.wav").read_bytes()
    chapters = _json(served.get(f"/api/chapters.json?{query}")[2])
    assert [c["title"] for c in chapters["chapters"]] == [
        "はじめに",
        "まる",
        "なで上げ",
        "おわりに",
    ]
    assert chapters["title"] == "ミニ"


@pytest.mark.parametrize(
    "saved, fragment",
    [
        ("rate = 130\n", 'line 1: rate = "130": must be from 150 to 900 morae per minute'),
        ("\nrate = 1000\n", "line 2: rate: must be a whole number from 80 to 900 (words per"),
    ],
)
def test_a_saved_rate_is_judged_in_the_sessions_language_naming_the_file(
    served, own_folders, capsys, saved, fragment
):
    # 130 words per minute is a fine English rate, but in Japanese the rate counts morae:
    # the settings file's line says so, in the command line's words, before any work.
    mini_in_japanese(own_folders)
    (own_folders["config"] / "config.toml").write_text(saved)
    expected = _cli_error(capsys, "script", "mini", "--language", "ja")
    assert fragment in expected and "config.toml" in expected
    for path in ("/api/session.mp3", "/api/chapters.json", "/api/script"):
        status, _, body = served.get(f"{path}?routine=mini&language=ja")
        assert status == 400 and _json(body) == {"error": expected}
    assert served.server.renders.started == 0


def test_the_saved_language_chooses_the_sessions_language(served, own_folders):
    mini_in_japanese(own_folders)
    (own_folders["config"] / "config.toml").write_text('language = "ja"\n')
    assert _json(served.get("/api/words?routine=mini")[2])["language"] == "ja"
    assert _json(served.get("/api/words?routine=mini&language=en")[2])["language"] == "en"
    # A routine not written in the saved language is spoken in its own.
    (own_folders["config"] / "config.toml").write_text('language = "de"\n')
    assert _json(served.get("/api/words?routine=neck")[2])["language"] == "en"
    assert _json(served.get("/api/words?routine=quick")[2])["language"] == "de"
