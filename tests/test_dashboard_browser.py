"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright.

The server runs on 127.0.0.1 on a free port, on fakes (FakeLLM, HashEmbedder). Every page
must run without a console error (a Content-Security-Policy refusal is one). Each main view is
saved as a screenshot in $LOCALMEM_TEST_ARTIFACTS, else test-artifacts/dashboard/ (ignored by
git), for a person to look at.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from localmem.frontends.rest import ServerOptions, create_app
from localmem.frontends.rest.ui import Listening
from localmem.storage.keys import KeyStore
from tests.helpers import fake_memory

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="the dashboard's browser tests need Debian's Chromium at /usr/bin/chromium "
    "(`apt-get install -y chromium`; .ci/run installs it)",
)
if CHROMIUM.exists():
    from playwright.sync_api import expect, sync_playwright

# Flags this machine needs: no sandbox as root, and nothing that reaches out to the network.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(os.environ.get("LOCALMEM_TEST_ARTIFACTS")
                 or Path(__file__).resolve().parents[1] / "test-artifacts" / "dashboard")
WIDE, NARROW = {"width": 1200, "height": 900}, {"width": 380, "height": 800}


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def site(tmp_path):
    """(url, memory, keys): the server on a free port with an admin key and alice's and bob's."""
    memory = fake_memory(tmp_path)
    keys = KeyStore(tmp_path)
    listening = Listening("127.0.0.1", 0, log_level="warning")
    thread = listening.start(create_app(tmp_path, memory=memory, keys=keys,
                                        options=ServerOptions(rate=0)))
    yield listening.url, memory, {"admin": keys.create(admin=True), "alice": keys.create("alice"),
                                  "bob": keys.create("bob")}
    listening.stop(thread)
    keys.close()
    memory.close()


@pytest.fixture
def open_page(browser, site):
    """open_page(viewport) -> a fresh tab (empty sessionStorage) on the dashboard; on teardown,
    no tab may have logged a console error (a CSP refusal is one) or failed to load a file."""
    errors: list[str] = []
    contexts = []

    def open_(viewport=WIDE):
        context = browser.new_context(viewport=viewport, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                if r.status >= 400 and "/v1/" not in r.url else None)
        page.goto(site[0])
        return page

    yield open_
    for context in contexts:
        context.close()
    # An API answer of 4xx (a wrong key, a refused import) is logged as a failed resource; the
    # page shows it, and the tests check it is shown. Anything else is a fault of the page.
    api_refusal = "Failed to load resource: the server responded with a status of 4"
    assert [e for e in errors if not e.startswith(api_refusal)] == []


def shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, key):
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#app-view")).to_be_visible()


def card(page, text):
    return page.locator("#memories .card", has=page.locator(".text", has_text=text))


def add(page, text, metadata=""):
    page.get_by_label("What to remember").fill(text)
    page.get_by_label("Metadata").fill(metadata)
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#status")).to_contain_text("Saved")


def test_sign_in_add_search_edit_and_history(site, open_page):
    _, memory, k = site
    page = open_page()
    shot(page, "01-sign-in")
    page.get_by_label("API key").fill("lm_wrong_key")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("missing or wrong API key")
    sign_in(page, k["alice"])
    expect(page.locator("#who-name")).to_have_text("alice")
    expect(page.locator("#list-note")).to_have_text("Nothing is stored for alice.")

    add(page, "I live in Lyon and I play the cello", '{"topic": "home"}')
    expect(page.locator("#status")).to_have_text("Saved: 2 new.")
    expect(page.locator("#memories .card")).to_have_count(2)
    lyon = card(page, "Lives in Lyon")
    expect(lyon.locator(".badge")).to_have_text("fact")
    expect(lyon.locator(".meta")).to_contain_text("topic")
    expect(lyon.locator(".meta dd")).to_have_text("home")
    expect(page.locator("#stats")).to_contain_text("Memories2")
    shot(page, "02-list")

    page.get_by_label("Query").fill("where do I live")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#list-h")).to_have_text("Search: “where do I live”")
    first = page.locator("#memories .card").first
    expect(first.locator(".text")).to_have_text("Lives in Lyon")
    score = memory.search("where do I live", user_id="alice")[0].score
    expect(first.locator(".score")).to_have_text(f"score {score:.3f}")
    shot(page, "03-search")
    page.get_by_role("button", name="Show all").click()
    expect(page.locator("#list-h")).to_have_text("Memories")

    lyon.get_by_role("button", name="Edit").click()
    field = page.get_by_label("New text for memory")
    expect(field).to_be_focused()
    field.fill("Lives in Paris")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#status")).to_contain_text("changed")
    paris = card(page, "Lives in Paris")
    expect(paris.get_by_role("button", name="Edit")).to_be_focused()
    mid = int(paris.get_attribute("data-id"))
    assert memory.get(mid).text == "Lives in Paris"

    paris.get_by_role("button", name="History and sources").click()
    expect(page.locator("#detail-h")).to_be_focused()
    events = page.locator("#history .event")
    expect(events).to_have_count(2)
    expect(events.nth(0).locator(".badge")).to_have_text("ADD")
    expect(events.nth(1).locator(".badge")).to_have_text("UPDATE")
    expect(events.nth(1).locator(".change.before")).to_contain_text("Lives in Lyon")
    expect(events.nth(1).locator(".change.after")).to_contain_text("Lives in Paris")
    expect(events.nth(1)).to_contain_text("by user")
    expect(events.nth(1).locator(".reason")).to_have_text("updated by the user")
    source = page.locator("#sources .card")
    expect(source.locator(".text")).to_have_text("I live in Lyon and I play the cello")
    expect(source.locator(".badge")).to_have_text("raw message")
    shot(page, "04-history")
    page.keyboard.press("Escape")
    expect(paris.get_by_role("button", name="History and sources")).to_be_focused()


def test_delete_one_and_delete_all_ask_first(site, open_page):
    _, memory, k = site
    memory.add("I live in Lyon and I play the cello", user_id="alice")
    memory.add("I live in Oslo", user_id="bob")
    page = open_page()
    sign_in(page, k["alice"])
    cello = card(page, "Plays the cello")
    cello.get_by_role("button", name="Delete").click()
    expect(cello.get_by_role("button", name="Keep it")).to_be_focused()
    shot(page, "05-delete-confirm")
    cello.get_by_role("button", name="Delete for good").click()
    expect(page.locator("#memories .card")).to_have_count(1)
    assert [m.text for m in memory.get_all(user_id="alice")] == ["Lives in Lyon"]

    page.get_by_label("Type the user id to confirm").fill("alic")
    page.get_by_role("button", name="Delete all").click()
    expect(page.get_by_role("alert")).to_contain_text("type the user id “alice” exactly")
    assert len(memory.get_all(user_id="alice")) == 1
    page.get_by_label("Type the user id to confirm").fill("alice")
    page.get_by_role("button", name="Delete all").click()
    expect(page.locator("#list-note")).to_have_text("Nothing is stored for alice.")
    expect(page.locator("#status")).to_have_text("Deleted all of alice's data (1 memory).")
    assert memory.get_all(user_id="alice") == [] and len(memory.get_all(user_id="bob")) == 1
    shot(page, "06-deleted-all")


def test_another_user_s_key_sees_nothing_of_the_first_and_an_admin_picks(site, open_page):
    _, memory, k = site
    memory.add("I live in Lyon and I play the cello", user_id="alice")
    page = open_page()
    sign_in(page, k["bob"])
    expect(page.locator("#list-note")).to_have_text("Nothing is stored for bob.")
    page.get_by_label("Query").fill("Lyon cello")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#list-note")).to_have_text("Nothing matches.")
    expect(page.locator("#user-form")).to_be_hidden()  # a user key cannot pick another user
    shown = page.locator("body").inner_text()
    assert "Lives in Lyon" not in shown and "Plays the cello" not in shown and "alice" not in shown
    shot(page, "07-other-user")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API key")).to_be_focused()
    assert page.evaluate("sessionStorage.length") == 0
    sign_in(page, k["admin"])
    expect(page.locator("#who-name")).to_have_text("admin key (every user)")
    page.get_by_label("User", exact=True).fill("alice")
    page.get_by_role("button", name="Show this user").click()
    expect(page.locator("#memories .card")).to_have_count(2)
    expect(page.locator("#stats")).to_contain_text("Disk (whole home)")
    shot(page, "08-admin")
    page.reload()  # the tab keeps its key and its pick until it signs out
    expect(page.locator("#who-name")).to_have_text("admin key (every user)")
    expect(page.locator("#memories .card")).to_have_count(2)


def test_export_downloads_jsonl_and_import_brings_it_back(site, open_page, tmp_path):
    _, memory, k = site
    memory.add("I live in Lyon", user_id="alice")
    page = open_page()
    sign_in(page, k["alice"])
    with page.expect_download() as download:
        page.get_by_role("button", name="Export (JSON Lines)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "localmem-alice.jsonl"
    lines = [json.loads(line) for line in saved.read_text().splitlines()]
    assert lines[0]["scope"] == {"user_id": "alice"} and lines[2]["text"] == "Lives in Lyon"

    memory.delete_all(user_id="alice")
    page.get_by_label("Import an export").set_input_files(str(saved))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#status")).to_have_text(
        "Imported 1 memory, 1 message and 1 history entry.")
    expect(card(page, "Lives in Lyon")).to_have_count(1)
    page.get_by_label("Import an export").set_input_files(str(saved))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("already exists")


def test_keyboard_alone_signs_in_and_adds(site, open_page):
    _, memory, k = site
    page = open_page()
    expect(page.get_by_label("API key")).to_be_focused()
    page.keyboard.type(k["alice"])
    page.keyboard.press("Enter")
    expect(page.get_by_label("Query")).to_be_focused()
    order = []
    for _ in range(6):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.textContent"))
        if order[-1] == "add-text":
            page.keyboard.type("I play the cello")
    assert order == ["Search", "search-clear", "add-text", "add-meta", "add-infer", "Add"]
    page.keyboard.press("Enter")
    expect(card(page, "Plays the cello")).to_have_count(1)
    assert [m.text for m in memory.get_all(user_id="alice")] == ["Plays the cello"]


def test_a_380_pixel_window_needs_no_sideways_scroll(site, open_page):
    _, memory, k = site
    memory.add("I live in Lyon and I play the cello", user_id="alice",
               metadata={"topic": "home", "source": "a-rather-long-metadata-value-without-spaces"})
    hostile = '<img src=x onerror="window.pwned = 1"> & <b>not bold</b>'
    memory.add(hostile, user_id="alice", infer=False)
    page = open_page(NARROW)
    shot(page, "09-narrow-sign-in")
    sign_in(page, k["alice"])
    expect(page.locator("#memories .card")).to_have_count(3)
    expect(page.locator("#memories .card .text").first).to_have_text(hostile)  # text, not HTML
    assert page.evaluate("window.pwned === undefined && !document.querySelector('#memories img')")
    wide = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(wide) == 0
    shot(page, "10-narrow-list")
    card(page, "Lives in Lyon").get_by_role("button", name="History and sources").click()
    expect(page.locator("#history .event")).to_have_count(1)
    assert page.evaluate(wide) == 0
    shot(page, "11-narrow-history")


def test_the_page_s_scripts_reach_only_this_server(site, browser):
    """The CSP at work: a fetch to another origin and an injected inline script are refused
    before anything runs or leaves (the page's own tab logs them: it is not open_page's)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(site[0])
    refused = page.evaluate("""async () => {
        const seen = [];
        const both = new Promise((done) => document.addEventListener('securitypolicyviolation',
            (e) => { seen.push(e.effectiveDirective); if (seen.length === 2) done(); }));
        let fetched = true;
        try { await fetch('http://localhost:9/elsewhere'); } catch (_) { fetched = false; }
        const inline = document.createElement('script');
        inline.textContent = 'window.injected = true';
        document.body.append(inline);
        await both;  // the reports are queued tasks: wait for them, not for a time
        return { fetched, injected: window.injected === true, seen };
    }""")
    context.close()
    assert refused == {"fetched": False, "injected": False,
                       "seen": ["connect-src", "script-src-elem"]}
