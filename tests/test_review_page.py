"""The moderators' review page: headers and assets, then the page itself in Chromium."""

from __future__ import annotations

import itertools
import os
import re
import threading
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import pytest
import redis as redis_lib
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from service.api import review
from service.moderation.policy import Thresholds
from service.storage.calibration import CalibrationStore
from tests.conftest import Keys
from tests.factories import DEFAULT_RULES, HAM, SETTINGS, SPAM, comment_body

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the browser tests skip; the test-client tests still run
    sync_playwright = None

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

STATIC = Path(review.__file__).parent / "static" / "review"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ASSETS = {
    "review.js": "text/javascript",
    "api.js": "text/javascript",
    "render.js": "text/javascript",
    "keys.js": "text/javascript",
    "list.js": "text/javascript",
    "settings.js": "text/javascript",
    "stats.js": "text/javascript",
    "review.css": "text/css",
    "icon.svg": "image/svg+xml",
}
HOSTILE_BODY = '<img src=x onerror="window.__pwned=1"> and <script>window.__pwned=1</script>'


@pytest.fixture(autouse=True)
def review_page(app: Flask) -> Flask:
    """Register the review blueprint unless create_app already does."""
    if review.blp.name not in app.blueprints:
        app.register_blueprint(review.blp)
    return app


# --- served by the app, checked with the test client -------------------------------------


def test_page_is_html_with_the_security_headers(client: FlaskClient) -> None:
    response = client.get("/review")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-cache"
    for name, value in review.SECURITY_HEADERS.items():
        assert response.headers[name] == value


@pytest.mark.parametrize(("name", "mimetype"), sorted(ASSETS.items()))
def test_assets_are_served_with_their_type_and_the_security_headers(
    client: FlaskClient, name: str, mimetype: str
) -> None:
    response = client.get(f"/review/static/{name}")

    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.data == (STATIC / name).read_bytes()
    for header, value in review.SECURITY_HEADERS.items():
        assert response.headers[header] == value


def test_unknown_asset_is_404(client: FlaskClient) -> None:
    assert client.get("/review/static/nope.js").status_code == 404
    assert client.get("/review/static/../review.py").status_code == 404


class _Markup(HTMLParser):
    """Collects what a page loads and anything the CSP would refuse to run."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        self.urls += [v for k, v in attrs if k in ("src", "href") and v and tag != "a"]
        self.inline += [f"{tag} {k}" for k, _ in attrs if k == "style" or k.startswith("on")]
        if tag == "style":
            self.inline.append("<style>")
        self._in_script = tag == "script"
        if tag == "script" and not named.get("src"):
            self.inline.append("<script> without src")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("inline script text")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def test_page_loads_only_same_origin_assets_and_has_no_inline_code(client: FlaskClient) -> None:
    markup = _Markup()
    markup.feed(client.get("/review").get_data(as_text=True))

    assert markup.urls and not markup.inline
    for url in markup.urls:
        assert not urlsplit(url).scheme and not urlsplit(url).netloc, url
        assert client.get(urlsplit(urljoin("http://localhost/review", url)).path).status_code == 200


def test_scripts_build_the_page_without_html_strings() -> None:
    forbidden = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(")
    for script in STATIC.glob("*.js"):
        assert not forbidden.search(script.read_text()), script.name
        for module in re.findall(r'from\s+"([^"]+)"', script.read_text()):
            assert module.startswith("./") and (STATIC / module).is_file(), module


def test_page_is_not_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/openapi.json").json["paths"]

    assert not [path for path in paths if path.startswith("/review")]


# --- the page in Chromium, against a real server -------------------------------------------


def _browser_missing() -> str:
    if sync_playwright is None:
        return "browser tests need the playwright package: pip install playwright==1.65.2"
    if not Path(CHROMIUM).is_file():
        return f"browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium"
    return ""


# Skipped on a developer's machine without Chromium, never under CI: there they must run.
needs_browser = pytest.mark.skipif(
    bool(_browser_missing()) and not os.environ.get("CI"), reason=_browser_missing()
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the module's browser tests."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_url(review_page: Flask) -> Iterator[str]:
    """Serve the app over real HTTP on a free port, in a thread, for the test's duration."""
    server = make_server("127.0.0.1", 0, review_page, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh tab (own storage) at 1200x800 that records console errors."""
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    errors: list[str] = []
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else 0)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.console_errors = errors  # type: ignore[attr-defined]
    yield tab
    context.close()


@pytest.fixture
def held(client: FlaskClient, keys: Keys, drain: Callable[..., int]) -> Callable[..., list[str]]:
    """Post comments to site 'news' and have the real worker hold every one for review."""

    def make(*bodies: str, **fields: Any) -> list[str]:
        headers = keys.site("news")
        ids = []
        for i, body in enumerate(bodies):
            author = {"name": f"Reader {i}", "email": f"r{i}@mail.example", "url": ""}
            payload = comment_body(body, **{"author": author, **fields})
            ids.append(client.post("/v1/comments", json=payload, headers=headers).json["id"])
        drain(approve_below=0.0, reject_above=1.0)  # every probability lands in between
        return ids

    return make


def _token(keys: Keys) -> str:
    return keys.moderator("news")["Authorization"].removeprefix("Bearer ")


def _sign_in(page: Page, live_url: str, token: str) -> None:
    page.goto(f"{live_url}/review")
    page.get_by_label("Moderator token").fill(token)
    page.get_by_role("button", name="Sign in").click()


def _status(client: FlaskClient, keys: Keys, comment_id: str) -> str:
    url = f"/v1/moderation/comments/{comment_id}"
    status: str = client.get(url, headers=keys.moderator("news")).json["status"]
    return status


def _open_settings(page: Page) -> Any:
    """Open the Settings panel and wait until it shows the site's rules."""
    page.get_by_role("button", name="Settings").click()
    panel = page.get_by_role("dialog", name="Settings")
    expect(panel.get_by_label("Maximum links")).to_be_enabled()
    return panel


def _queue_ids(client: FlaskClient, keys: Keys) -> list[str]:
    items = client.get("/v1/moderation/queue", headers=keys.moderator("news")).json["items"]
    return [item["id"] for item in items]


@needs_browser
def test_moderator_approves_with_a_and_bulk_spams_with_x_x_shift_s(
    page: Page,
    live_url: str,
    client: FlaskClient,
    keys: Keys,
    held: Callable[..., list[str]],
) -> None:
    ids = held("First comment", "Second comment", "Third comment", "Fourth comment")
    _sign_in(page, live_url, _token(keys))
    items = page.locator("#queue > .item")
    expect(items).to_have_count(4)
    expect(items.locator(".author")).to_have_text([f"Reader {i}" for i in range(4)])
    expect(items.first).to_be_focused()

    page.keyboard.press("a")
    expect(items).to_have_count(3)
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator("#selected-count")).to_have_text("2 selected")
    page.keyboard.press("Shift+S")
    expect(items).to_have_count(1)

    assert _status(client, keys, ids[0]) == "approved"
    assert [_status(client, keys, i) for i in ids[1:3]] == ["spam", "spam"]
    assert _queue_ids(client, keys) == [ids[3]]
    expect(page.get_by_role("status")).to_contain_text("Marked as spam: 2 comments")
    assert page.evaluate("Object.keys(localStorage).length") == 0
    assert page.context.cookies() == []
    assert page.console_errors == []  # type: ignore[attr-defined]


@needs_browser
def test_a_campaigns_copies_stand_together_and_one_click_spams_them_all(
    page: Page,
    live_url: str,
    client: FlaskClient,
    keys: Keys,
    held: Callable[..., list[str]],
) -> None:
    offer = "Earn money from home with our new program, message me on telegram for the details"
    ids = held(
        offer,
        "A reader who disagrees with the budget article and says so at some length here",
        offer.replace("Earn", "EARN") + " now",
        offer + "!!",
    )
    _sign_in(page, live_url, _token(keys))
    items = page.locator("#queue > .item")
    expect(items).to_have_count(4)

    # Queue order, except that the campaign's later copies follow its first one.
    order = [ids[0], ids[2], ids[3], ids[1]]
    assert items.evaluate_all("lis => lis.map(li => li.dataset.id)") == order
    expect(items.nth(1)).to_have_class(re.compile(r"\bcopy\b"))
    expect(items.first.locator(".campaign")).to_contain_text("One of 3 near-copies")
    expect(items.nth(3).locator(".campaign")).to_have_count(0)

    items.first.focus()
    page.keyboard.press("c")
    expect(page.locator("#selected-count")).to_have_text("3 selected")
    items.nth(2).get_by_role("button", name="Spam every held copy").click()

    expect(items).to_have_count(1)
    expect(page.get_by_role("status")).to_contain_text("Marked as spam: 3 comments")
    assert [_status(client, keys, i) for i in order] == ["spam", "spam", "spam", "pending_review"]
    assert page.console_errors == []  # type: ignore[attr-defined]


@needs_browser
def test_page_says_that_decisions_teach_the_model_and_how_often(
    page: Page,
    live_url: str,
    keys: Keys,
    redis: redis_lib.Redis,
    held: Callable[..., list[str]],
    drain: Callable[..., int],
) -> None:
    held("First comment", "Second comment", "Third comment")
    _sign_in(page, live_url, _token(keys))
    learned = page.locator("#learned")
    expect(learned).to_have_text(
        "Approve and Spam decisions teach this site's spam model; Reject does not."
    )
    items = page.locator("#queue > .item")
    for left, key in enumerate(("a", "s", "r")):  # "r", reject, teaches nothing
        expect(items).to_have_count(3 - left)
        page.keyboard.press(key)
    expect(items).to_have_count(0)
    drain()  # the worker learns the two decisions
    page.get_by_role("button", name="Reload").click()

    expect(learned).to_have_text("Your decisions have taught this site's spam model 2 times.")
    CalibrationStore(redis).set_thresholds("news", Thresholds(0.1, 0.975))
    page.get_by_role("button", name="Reload").click()
    expect(learned).to_have_text(
        "Your decisions have taught this site's spam model 2 times. This site's thresholds"
        " (set by an operator): published below 10 % spam, held up to 97.5 %, spam above."
    )
    assert page.console_errors == []  # type: ignore[attr-defined]


@needs_browser
def test_load_more_follows_next_cursor_to_the_end_of_the_queue(
    page: Page, live_url: str, keys: Keys, held: Callable[..., list[str]]
) -> None:
    ids = held(*[f"Comment number {i}" for i in range(53)])
    _sign_in(page, live_url, _token(keys))
    items = page.locator("#queue > .item")
    expect(items).to_have_count(50)

    page.get_by_role("button", name="Load more").click()

    expect(items).to_have_count(53)
    assert [li.get_attribute("data-id") for li in items.all()] == ids
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()


@needs_browser
def test_hostile_comment_text_stays_inert_text(
    page: Page, live_url: str, keys: Keys, held: Callable[..., list[str]]
) -> None:
    author = {"name": "<img src=x onerror=window.__pwned=1>", "email": "x@mail.example"}
    author["url"] = "javascript:window.__pwned=1"
    held(HOSTILE_BODY, author=author, thread="javascript:window.__pwned=1")
    _sign_in(page, live_url, _token(keys))
    item = page.locator("#queue > .item")
    expect(item).to_have_count(1)

    expect(item.locator(".body")).to_have_text(HOSTILE_BODY)
    expect(item.locator(".author")).to_have_text(author["name"])
    assert item.locator("img, script").count() == 0
    assert item.locator("a[href^='javascript:']").count() == 0
    page.keyboard.press("o")  # the author's "url" must not be opened, let alone run
    expect(page.get_by_role("status")).to_have_text("This author gave no web address.")
    assert page.evaluate("typeof window.__pwned") == "undefined"


@needs_browser
def test_arabic_and_persian_names_and_comments_read_right_to_left(
    page: Page, live_url: str, keys: Keys, held: Callable[..., list[str]]
) -> None:
    arabic = "هل الخبر صحيح؟ موقع آخر قال إن الزيارة تأجلت"
    persian = "این خبر را از کجا آوردید؟ منبع را بنویسید لطفا"
    english = "Which source says the visit was postponed?"
    held(arabic, persian, author={"name": "ليلى أحمد", "email": "l@mail.example", "url": ""})
    held(english)
    _sign_in(page, live_url, _token(keys))
    items = page.locator("#queue > .item")
    expect(items).to_have_count(3)

    def direction(selector: str) -> list[str]:
        script = "nodes => nodes.map(n => n.dir + ':' + getComputedStyle(n).direction)"
        found: list[str] = page.locator(selector).evaluate_all(script)
        return found

    assert direction("#queue .body") == ["auto:rtl", "auto:rtl", "auto:ltr"]
    assert direction("#queue .author") == ["auto:rtl", "auto:rtl", "auto:ltr"]


@needs_browser
def test_refused_token_is_forgotten_and_asked_for_again(
    page: Page, live_url: str, keys: Keys, held: Callable[..., list[str]]
) -> None:
    held("A comment")
    _sign_in(page, live_url, "modq_moderator_not-a-real-token")

    expect(page.get_by_role("alert")).to_contain_text("token was not accepted")
    expect(page.get_by_label("Moderator token")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0

    _sign_in(page, live_url, keys.site("news")["Authorization"].removeprefix("Bearer "))
    expect(page.get_by_role("alert")).to_contain_text("site key")


@needs_browser
def test_token_lives_in_session_storage_until_sign_out(
    page: Page, live_url: str, keys: Keys, held: Callable[..., list[str]]
) -> None:
    held("A comment")
    token = _token(keys)
    _sign_in(page, live_url, token)
    expect(page.locator("#queue > .item")).to_have_count(1)
    assert page.evaluate("Object.values(sessionStorage)") == [token]

    page.reload()  # the tab keeps it, so no second paste
    expect(page.locator("#queue > .item")).to_have_count(1)
    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_label("Moderator token")).to_be_visible()
    assert page.evaluate("sessionStorage.length + localStorage.length") == 0
    assert page.context.cookies() == []


@needs_browser
def test_failed_decision_is_shown_on_its_comment_and_the_others_stay(
    page: Page, live_url: str, client: FlaskClient, keys: Keys, held: Callable[..., list[str]]
) -> None:
    first, second = held("First comment", "Second comment")
    _sign_in(page, live_url, _token(keys))
    items = page.locator("#queue > .item")
    expect(items).to_have_count(2)
    decision = {"decision": "approve"}
    url = f"/v1/moderation/comments/{first}/decision"
    client.post(url, json=decision, headers=keys.moderator("news"))  # another moderator

    page.keyboard.press("a")

    expect(items.first.get_by_role("alert")).to_contain_text("Already decided")
    expect(items).to_have_count(2)
    expect(items.nth(1)).to_have_attribute("data-id", second)
    items.nth(1).get_by_role("button", name="Reject").click()
    expect(items).to_have_count(1)
    assert _status(client, keys, second) == "rejected"


@needs_browser
def test_page_fits_a_360_px_screen_and_help_opens_on_question_mark(
    page: Page, live_url: str, keys: Keys, held: Callable[..., list[str]]
) -> None:
    held("A rather long comment " * 20, author={"name": "N" * 80, "email": "n@mail.example"})
    page.set_viewport_size({"width": 360, "height": 740})
    _sign_in(page, live_url, _token(keys))
    expect(page.locator("#queue > .item")).to_have_count(1)

    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()

    panel = _open_settings(page)
    box = panel.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert panel.evaluate("dialog => dialog.scrollWidth <= dialog.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    assert page.console_errors == []  # type: ignore[attr-defined]


@needs_browser
def test_moderator_sees_the_default_rules_and_saves_words_and_a_link_limit(
    page: Page, live_url: str, client: FlaskClient, keys: Keys
) -> None:
    before = client.get(SETTINGS, headers=keys.moderator("news")).json
    assert {name: before[name] for name in DEFAULT_RULES} == DEFAULT_RULES
    _sign_in(page, live_url, _token(keys))
    expect(page.get_by_role("status")).to_contain_text("0 comments loaded")
    panel = _open_settings(page)

    expect(panel.get_by_label("Maximum links")).to_have_value("2")
    expect(panel.get_by_label("Moderation words")).to_have_value("")
    expect(panel.get_by_label("Disallowed words")).to_have_value("")
    expect(panel.get_by_label("Allowed scripts")).to_have_value("")
    expect(panel.get_by_label("Minimum seconds to post")).to_have_value("3")
    expect(panel.get_by_label("Maximum links")).to_be_focused()
    panel.get_by_label("Maximum links").fill("3")
    panel.get_by_label("Moderation words").fill("casino\n\n  cheap loans \n")
    panel.get_by_role("button", name="Save").click()

    expect(panel).to_be_hidden()
    expect(page.get_by_role("status")).to_have_text(
        "Settings saved. They apply to new comments within seconds."
    )
    stored = client.get(SETTINGS, headers=keys.moderator("news")).json
    words = ["casino", "cheap loans"]
    assert stored == {**before, "max_links": 3, "moderation_words": words}
    expect(page.get_by_role("button", name="Settings")).to_be_focused()

    panel = _open_settings(page)  # opened again, it shows what is stored, a word a line
    expect(panel.get_by_label("Maximum links")).to_have_value("3")
    expect(panel.get_by_label("Moderation words")).to_have_value("casino\ncheap loans")
    panel.get_by_role("button", name="Cancel").click()
    expect(panel).to_be_hidden()
    assert page.console_errors == []  # type: ignore[attr-defined]


@needs_browser
def test_refused_rules_show_each_fields_error_keep_the_input_and_store_nothing(
    page: Page, live_url: str, client: FlaskClient, keys: Keys
) -> None:
    before = client.get(SETTINGS, headers=keys.moderator("news")).json
    _sign_in(page, live_url, _token(keys))
    panel = _open_settings(page)
    scripts = panel.get_by_label("Allowed scripts")
    links = panel.get_by_label("Maximum links")
    scripts.fill("latin, Cyrillic!")
    links.fill("1001")
    panel.get_by_label("Disallowed words").fill("cheap pills")
    panel.get_by_role("button", name="Save").click()

    expect(panel.get_by_role("alert")).to_have_text(
        "Nothing was saved: the request body is not a valid set of rules."
        " The fields marked below say why."
    )
    expect(panel.locator("#allowed-scripts-error")).to_have_text(
        "“Cyrillic!” is not a script like 'latin'."
    )
    expect(panel.locator("#max-links-error")).to_have_text(
        "Must be greater than or equal to 0 and less than or equal to 1000."
    )
    expect(panel.locator("#disallowed-words-error")).to_be_hidden()
    expect(scripts).to_have_attribute("aria-invalid", "true")
    expect(links).to_have_accessible_description(re.compile("less than or equal to 1000"))
    expect(links).to_be_focused()  # the first field to correct
    expect(scripts).to_have_value("latin, Cyrillic!")
    expect(links).to_have_value("1001")
    expect(panel.get_by_label("Disallowed words")).to_have_value("cheap pills")
    assert client.get(SETTINGS, headers=keys.moderator("news")).json == before

    scripts.fill("latin, cyrillic")  # corrected, both are saved and the errors go
    links.fill("0")
    panel.get_by_role("button", name="Save").click()
    expect(panel).to_be_hidden()
    stored = client.get(SETTINGS, headers=keys.moderator("news")).json
    assert stored == {
        **before,
        "max_links": 0,
        "disallowed_words": ["cheap pills"],
        "allowed_scripts": ["latin", "cyrillic"],
    }


@needs_browser
def test_typing_in_the_settings_panel_decides_and_selects_nothing(
    page: Page, live_url: str, client: FlaskClient, keys: Keys, held: Callable[..., list[str]]
) -> None:
    (comment,) = held("A comment to keep")
    before = client.get(SETTINGS, headers=keys.moderator("news")).json
    _sign_in(page, live_url, _token(keys))
    items = page.locator("#queue > .item")
    expect(items).to_have_count(1)
    page.keyboard.press("x")
    expect(page.locator("#selected-count")).to_have_text("1 selected")
    panel = _open_settings(page)

    words = panel.get_by_label("Moderation words")
    words.click()
    page.keyboard.type("jars oxa? Spam SAR")  # every shortcut key, with and without Shift
    expect(words).to_have_value("jars oxa? Spam SAR")
    panel.get_by_label("Allowed scripts").press_sequentially("asrx")
    expect(panel.get_by_label("Allowed scripts")).to_have_value("asrx")
    panel.get_by_role("button", name="Cancel").focus()  # a button of the panel, not a field
    for key in ("a", "s", "r", "x", "Shift+S", "?"):
        page.keyboard.press(key)
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()

    expect(panel).to_be_visible()
    page.keyboard.press("Escape")  # cancel: nothing is saved
    expect(panel).to_be_hidden()
    expect(items).to_have_count(1)
    expect(page.locator("#selected-count")).to_have_text("1 selected")
    assert _status(client, keys, comment) == "pending_review"
    assert client.get(SETTINGS, headers=keys.moderator("news")).json == before

    page.keyboard.press("a")  # with the panel closed the shortcuts work again
    expect(items).to_have_count(0)
    assert _status(client, keys, comment) == "approved"


STATS = "/v1/moderation/stats"
#: Approved by the shipped model, as HAM is.
MORE_HAM = "I disagree with the mayor on the bus lanes, they were needed."
#: Held by the site's rules (three links, at most two allowed), whatever the model says.
LINKS = "Sources: https://a.example/1 and https://b.example/2 and https://c.example/3 agree."


_readers = itertools.count(1)


def _post(client: FlaskClient, keys: Keys, *bodies: str) -> list[str]:
    """Post comments to site 'news', each by its own author from its own IP (no duplicate,
    no flood)."""
    ids = []
    for body in bodies:
        n = next(_readers)
        author = {"name": f"Reader {n}", "email": f"r{n}@mail.example", "url": ""}
        payload = comment_body(body, author=author, ip=f"198.51.100.{n % 250 + 1}")
        ids.append(client.post("/v1/comments", json=payload, headers=keys.site("news")).json["id"])
    return ids


def _decide(client: FlaskClient, keys: Keys, comment_id: str, decision: str) -> None:
    url = f"/v1/moderation/comments/{comment_id}/decision"
    response = client.post(url, json={"decision": decision}, headers=keys.moderator("news"))
    assert response.status_code == 200, response.json


def _open_stats(page: Page) -> Any:
    """Open the Last 30 days panel and wait until it shows the figures."""
    page.get_by_role("button", name="Last 30 days").click()
    panel = page.get_by_role("dialog", name="Last 30 days")
    expect(panel.locator("#stats-state")).to_contain_text("Updated at")
    return panel


@needs_browser
def test_last_30_days_chart_and_totals_show_the_sites_figures(
    page: Page, live_url: str, client: FlaskClient, keys: Keys, drain: Callable[..., int]
) -> None:
    ham, _, _, spam, _ = _post(client, keys, HAM, MORE_HAM, SPAM, SPAM + " ok", LINKS)
    drain()
    statuses = [_status(client, keys, i) for i in (ham, spam)]
    assert statuses == ["approved", "spam"]
    _decide(client, keys, ham, "spam")  # the model published it: a missed spam
    _decide(client, keys, spam, "approve")  # the model called it spam: a false positive
    drain()  # the learner learns both decisions
    stats = client.get(STATS, headers=keys.moderator("news")).json
    today = stats["days"][-1]
    figures = {k: today[k] for k in ("received", "approved", "held", "spam", "rejected")}
    assert figures == {"received": 5, "approved": 2, "held": 1, "spam": 2, "rejected": 0}
    assert (today["missed_spam"], today["false_positives"], today["accuracy"]) == (1, 1, 0.5)
    assert stats["total"]["received"] == 5 and stats["learned"] == 2

    _sign_in(page, live_url, _token(keys))
    expect(page.get_by_role("status")).to_contain_text("1 comment loaded")  # the LINKS one
    panel = _open_stats(page)
    chart = panel.get_by_role("img", name=re.compile("^Comments per day from"))
    expect(chart).to_be_focused()

    days = chart.locator("g.day")
    expect(days).to_have_count(30)
    assert days.evaluate_all("gs => gs.map(g => g.dataset.day)") == [
        day["day"] for day in stats["days"]
    ]
    bar = chart.locator(f'g.day[data-day="{today["day"]}"]')
    titles = {
        ".bar-approved": "2 approved of 5 received",
        ".bar-held": "1 held of 5 received",
        ".bar-spam": "2 spam of 5 received",
        ".mark-missed_spam": "1 missed spam",
        ".mark-false_positives": "1 false positive",
    }
    for selector, figure in titles.items():
        expect(bar.locator(f"{selector} > title")).to_have_text(re.compile(f": {figure}$"))
    day_line = (
        ": 5 received (2 approved, 1 held, 2 spam, 0 rejected);"
        " 1 missed spam, 1 false positive; accuracy 50 %"
    )
    expect(bar.locator(".day-area > title")).to_have_text(re.compile(f"{re.escape(day_line)}$"))
    expect(chart.locator(".bar")).to_have_count(3)  # the other 29 days received nothing
    expect(chart.locator(".mark")).to_have_count(2)
    expect(chart.locator(".received-axis .value")).to_have_text(["0", "5"])  # the top: 5 a day
    expect(chart.locator(".corrected-axis .value")).to_have_text(["0", "1"])
    expect(chart.locator(".day-axis text")).to_have_count(5)  # today, a week ago, …
    legend = panel.get_by_role("list", name="Legend").locator("li")
    expect(legend).to_have_text(
        ["approved", "held", "spam", "rejected", "missed spam", "false positives"]
    )

    totals = panel.locator("#stats-totals")
    shown = {
        "received": "5",
        "approved": "2",
        "held": "1",
        "spam": "2",
        "rejected": "0",
        "missed_spam": "1",
        "false_positives": "1",
        "accuracy": "50 %",
        "learned": "2",
    }
    expect(totals.locator("dd")).to_have_text(list(shown.values()))
    assert totals.locator("dd").evaluate_all("dds => dds.map(dd => dd.dataset.total)") == list(
        shown
    )
    expect(totals.locator(".total-missed_spam")).to_have_text("Missed spam1")

    readout = panel.locator("#stats-day")  # the arrow keys read the chart a day at a time
    expect(readout).to_have_text(re.compile(f"{re.escape(day_line)}$"))
    page.keyboard.press("ArrowLeft")
    expect(readout).to_have_text(re.compile(r": 0 received \(0 approved, .*; accuracy —$"))
    expect(chart.locator("g.day.current")).to_have_attribute("data-day", stats["days"][-2]["day"])
    page.keyboard.press("End")
    expect(chart.locator("g.day.current")).to_have_attribute("data-day", today["day"])
    page.keyboard.press("a")  # the queue's shortcuts are off while the panel is open
    expect(page.locator("#queue > .item")).to_have_count(1)

    table = panel.get_by_role("table")
    panel.get_by_text("Every day as a table").click()
    expect(table.locator("tbody tr")).to_have_count(30)
    expect(table.locator("tbody tr").first.locator("td")).to_have_text(
        ["5", "2", "1", "2", "0", "1", "1", "50 %"]
    )

    _post(client, keys, "Another thoughtful reader agrees with the article.")
    drain()
    today = client.get(STATS, headers=keys.moderator("news")).json["days"][-1]
    assert today["received"] == 6
    panel.get_by_role("button", name="Refresh").click()
    expect(totals.locator("[data-total=received]")).to_have_text("6")
    verdicts = ", ".join(f"{today[k]} {k}" for k in ("approved", "held", "spam", "rejected"))
    expect(bar.locator(".day-area > title")).to_contain_text(f": 6 received ({verdicts});")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    assert page.console_errors == []  # type: ignore[attr-defined]  # no CSP violation either


@needs_browser
def test_last_30_days_shows_an_api_error_in_the_pages_error_style(
    page: Page, live_url: str, keys: Keys
) -> None:
    _sign_in(page, live_url, _token(keys))
    panel = _open_stats(page)
    expect(panel.locator("#stats-chart g.day")).to_have_count(30)
    unavailable = {"code": 503, "status": "Service Unavailable", "message": "storage down"}
    page.route(
        "**/v1/moderation/stats",
        lambda route: route.fulfill(status=503, json=unavailable, headers={"Retry-After": "5"}),
    )

    panel.get_by_role("button", name="Refresh").click()

    alert = panel.get_by_role("alert")
    expect(alert).to_have_text(
        "Could not load the figures. modq's storage is unavailable; nothing was changed."
        " Retry in 5 s."
    )
    expect(alert).to_have_class("error")
    expect(panel.locator("#stats-state")).to_be_hidden()
    page.unroute("**/v1/moderation/stats")
    panel.get_by_role("button", name="Refresh").click()
    expect(alert).to_be_hidden()
    expect(panel.locator("#stats-state")).to_contain_text("Updated at")
