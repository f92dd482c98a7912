"""The dashboard's server side: its page and files under a strict CSP, and the endpoints it adds
(who am I, users, stats, a memory's sources, export, import) behind the same scope policy."""

import json
import re
import socket
import threading
import urllib.request
from importlib import resources

import pytest
from fastapi.testclient import TestClient

from localmem.frontends.rest import ServerOptions, create_app
from localmem.frontends.rest.pages import CSP, STATIC
from localmem.frontends.rest.ui import Listening
from localmem.storage.keys import KeyStore
from tests.helpers import dump, fake_memory


@pytest.fixture
def env(tmp_path):
    memory = fake_memory(tmp_path)
    keys = KeyStore(tmp_path)
    client = TestClient(create_app(tmp_path, memory=memory, keys=keys, options=ServerOptions(rate=0)))
    yield client, memory, {"admin": keys.create(admin=True), "alice": keys.create("alice"), "bob": keys.create("bob")}
    keys.close()
    memory.close()


def auth(key):
    return {"Authorization": f"Bearer {key}"}


def test_the_page_and_its_files_come_with_a_csp_that_keeps_scripts_at_home(env):
    client, _, _ = env
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    html = page.text
    # no inline script or style the CSP would block, and nothing fetched from elsewhere
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/app.js" defer>']
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    for name, media in STATIC.items():
        answer = client.get(f"/static/{name}")
        assert answer.status_code == 200 and answer.headers["content-type"] == media
        assert answer.headers["content-security-policy"] == csp
        assert "http://" not in answer.text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in answer.text


@pytest.mark.parametrize("name", ["index.html", "..%2Fapp.py", "app.py", "nope.js"])
def test_only_the_listed_files_are_served(env, name):
    client, _, _ = env
    answer = client.get(f"/static/{name}")
    assert answer.status_code == 404 and answer.json()["error"]["type"] == "InvalidInputError"


def test_the_package_ships_every_file_the_page_names():
    html = resources.files("localmem.frontends.rest").joinpath("static", "index.html").read_text()
    assert set(re.findall(r'/static/([\w.]+)', html)) == set(STATIC)


def test_me_says_who_the_key_is_and_users_is_for_admin_keys(env):
    client, memory, k = env
    assert client.get("/v1/me", headers=auth(k["alice"])).json() == {"user_id": "alice", "admin": False}
    assert client.get("/v1/me", headers=auth(k["admin"])).json() == {"user_id": None, "admin": True}
    assert client.get("/v1/me").status_code == 401
    users = client.get("/v1/users", headers=auth(k["admin"]))
    assert users.json() == {"results": sorted(["alice", "bob", memory.config.default_user_id])}
    refused = client.get("/v1/users", headers=auth(k["alice"]))
    assert refused.status_code == 403 and "admin key" in refused.json()["error"]["message"]


def test_stats_count_one_user_and_show_disk_use_only_to_admin_keys(env):
    client, _, k = env
    client.post("/v1/memories", json={"messages": "I live in Lyon and I play the cello"},
                headers=auth(k["alice"]))
    mine = client.get("/v1/stats", headers=auth(k["alice"])).json()
    assert mine["user_id"] == "alice" and mine["memories"] == 2 and mine["disk_bytes"] is None
    assert mine["models"] == {"llm": "FakeLLM", "embedder": "HashEmbedder-384", "dims": 384}
    assert client.get("/v1/stats", headers=auth(k["bob"])).json()["memories"] == 0
    admin = client.get("/v1/stats", params={"user_id": "alice"}, headers=auth(k["admin"])).json()
    assert admin["memories"] == 2 and admin["disk_bytes"] > 0
    assert client.get("/v1/stats", params={"user_id": "alice"}, headers=auth(k["bob"])).status_code == 403
    unnamed = client.get("/v1/stats", headers=auth(k["admin"]))
    assert unnamed.status_code == 400 and "user_id" in unnamed.json()["error"]["message"]


def test_sources_are_the_messages_a_memory_came_from_and_stay_in_scope(env):
    client, _, k = env
    events = client.post("/v1/memories", json={"messages": [
        {"role": "user", "content": "I live in Lyon"}, {"role": "assistant", "content": "Nice!"}]},
        headers=auth(k["alice"])).json()["results"]
    mid = events[0]["id"]
    found = client.get(f"/v1/memories/{mid}/sources", headers=auth(k["alice"])).json()["results"]
    assert [(m["kind"], m["text"]) for m in found] == [("message", "I live in Lyon")]
    assert found[0]["id"] < 0 and found[0]["user_id"] == "alice"
    assert client.get(f"/v1/memories/{mid}/sources", headers=auth(k["bob"])).status_code == 404
    assert client.get("/v1/memories/999/sources", headers=auth(k["admin"])).status_code == 404
    assert client.get(f"/v1/memories/{mid}/sources?x=1", headers=auth(k["alice"])).status_code == 400


def test_export_is_a_jsonl_download_of_the_key_s_user_only(env):
    client, _, k = env
    for key, text in (("alice", "I live in Lyon"), ("bob", "I live in Oslo")):
        client.post("/v1/memories", json={"messages": text}, headers=auth(k[key]))
    answer = client.get("/v1/export", headers=auth(k["alice"]))
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/x-ndjson"
    assert answer.headers["content-disposition"] == 'attachment; filename="localmem-alice.jsonl"'
    records = [json.loads(line) for line in answer.text.splitlines()]
    assert records[0]["type"] == "header" and records[0]["scope"] == {"user_id": "alice"}
    assert "Oslo" not in answer.text and "Lives in Lyon" in answer.text
    assert client.get("/v1/export", params={"user_id": "bob"}, headers=auth(k["alice"])).status_code == 403


def test_import_round_trips_a_user_s_export_and_refuses_another_user_s(env, tmp_path):
    client, memory, k = env
    client.post("/v1/memories", json={"messages": "I live in Lyon"}, headers=auth(k["alice"]))
    exported = client.get("/v1/export", headers=auth(k["alice"])).text
    before = dump(memory)
    stolen = client.post("/v1/import", content=exported, headers=auth(k["bob"]))
    assert stolen.status_code == 403 and "user 'bob'" in stolen.json()["error"]["message"]
    clash = client.post("/v1/import", content=exported, headers=auth(k["alice"]))
    assert clash.status_code == 400 and "already exists" in clash.json()["error"]["message"]
    assert dump(memory) == before
    assert client.delete("/v1/memories", headers=auth(k["alice"])).json() == {"deleted": 1}
    report = client.post("/v1/import", content=exported, headers=auth(k["alice"]))
    assert report.json() == {"messages": 1, "memories": 1, "history": 1, "replaced": 0}
    assert [m.text for m in memory.get_all(user_id="alice")] == ["Lives in Lyon"]
    again = client.post("/v1/import?replace=true", content=exported, headers=auth(k["alice"]))
    assert again.json()["replaced"] == 2  # the message and the memory (its history goes with it)


@pytest.mark.parametrize("body, message", [
    (b"\xff\xfe", "not UTF-8"),
    (b"not json\n", "line 1: not JSON"),
    (b"", "no localmem-export header"),
])
def test_a_bad_import_is_a_clear_400_and_changes_nothing(env, body, message):
    client, memory, k = env
    before = dump(memory)
    answer = client.post("/v1/import", content=body, headers=auth(k["alice"]))
    assert answer.status_code == 400 and message in answer.json()["error"]["message"]
    assert dump(memory) == before


def test_an_admin_import_of_a_full_export_lands_in_a_fresh_home(env, tmp_path):
    client, _, k = env
    client.post("/v1/memories", json={"messages": "I play the cello", "user_id": "ana"},
                headers=auth(k["admin"]))
    exported = client.get("/v1/export", headers=auth(k["admin"])).text
    assert json.loads(exported.splitlines()[0]).get("scope") is None  # everyone's data
    fresh = fake_memory(tmp_path / "other")
    keys = KeyStore(tmp_path / "other")
    other = TestClient(create_app(tmp_path / "other", memory=fresh, keys=keys, options=ServerOptions(rate=0)))
    answer = other.post("/v1/import", content=exported, headers=auth(keys.create(admin=True)))
    assert answer.status_code == 200 and answer.json()["memories"] == 1
    assert [m.text for m in fresh.get_all(user_id="ana")] == ["Plays the cello"]
    keys.close()
    fresh.close()


# --- `localmem ui`: a socket listening before the server starts, then the browser -----------


def test_the_browser_is_sent_to_a_server_that_answers(env):
    """Listening.run as `localmem ui` runs it: on_listening gets the URL on its own thread, and
    its request waits in the socket's queue until the server takes it (no race, no polling)."""
    client, _, _ = env
    listening = Listening("127.0.0.1", 0, log_level="warning")
    got: dict[str, object] = {}

    def browser(url):
        with urllib.request.urlopen(url, timeout=30) as answer:
            got.update(url=url, status=answer.status, csp=answer.headers["Content-Security-Policy"])
        listening.stop()

    thread = threading.Thread(target=listening.run, args=(client.app, browser))
    thread.start()
    thread.join(60)
    assert not thread.is_alive()
    assert got == {"url": listening.url, "status": 200, "csp": CSP}
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", listening.url)


def test_ui_on_a_taken_port_is_one_clear_line_before_any_model_loads(tmp_path):
    from click.testing import CliRunner

    from localmem.frontends.cli import cli

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["ui", "--port", str(port), "--home", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot listen on 127.0.0.1:{port} (")
    assert "--port 0 for any free one" in result.output
    assert not (tmp_path / "memory.db").exists()


@pytest.mark.integration  # `localmem ui` opens the home's real Memory: the bundled models
def test_localmem_ui_opens_the_browser_on_the_dashboard(tmp_path):
    """The whole command: $BROWSER (what webbrowser runs) fetches the URL it is given and prints
    what it got; pexpect waits for that line, then Ctrl-C stops the server."""
    import os
    import sys

    import pexpect

    browser = tmp_path / "browser.py"
    browser.write_text(
        "import sys, urllib.request\n"
        "with urllib.request.urlopen(sys.argv[1], timeout=60) as r:\n"
        "    print('BROWSER GOT', r.status, r.headers['Content-Security-Policy'], flush=True)\n")
    env = {**os.environ, "BROWSER": f"{sys.executable} {browser} %s"}
    ui = pexpect.spawn(sys.executable, ["-m", "localmem.frontends.cli", "ui", "--port", "0",
                                        "--home", str(tmp_path / "home")],
                       env=env, encoding="utf-8", timeout=240)
    try:
        ui.expect(r"dashboard at (http://127\.0\.0\.1:\d+/)")
        ui.expect(r"BROWSER GOT (\d+) ([^\r\n]+)")
        assert ui.match.group(1) == "200" and ui.match.group(2) == CSP
        ui.sendintr()
        ui.expect(pexpect.EOF)
    finally:
        ui.close(force=True)
