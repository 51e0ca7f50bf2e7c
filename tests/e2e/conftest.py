"""A live Stroom server in a thread (fresh SQLite, demo data) and Debian's headless chromium."""
from __future__ import annotations

import contextlib
import fcntl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

import pytest
from werkzeug.serving import make_server

from tests.e2e.site import PASSWORD, Site, build_site

CHROMIUM = Path("/usr/bin/chromium")
# Screenshots of where each browser test ended (gitignored; kept as CI artefacts).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"]


WEB = Path(__file__).resolve().parents[2] / "web"
BUNDLE = WEB / "static" / "build" / "designer-bpmn.js"


def _bundle_is_current() -> bool:
    sources = [*WEB.glob("src/*"), WEB / "stroom-moddle.json", WEB / "package-lock.json"]
    return BUNDLE.exists() and BUNDLE.stat().st_mtime >= max(p.stat().st_mtime for p in sources)


@pytest.fixture(scope="session", autouse=True)
def editor_bundle() -> None:
    """The esbuild bundle of the BPMN editor, rebuilt when a source is newer (as make does).

    Parallel test processes (pytest -n) take a file lock, so one of them builds and the others wait for
    it and then find the bundle current, instead of two builds writing the same files at once."""
    if _bundle_is_current():
        return
    BUNDLE.parent.mkdir(parents=True, exist_ok=True)
    with (BUNDLE.parent / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _bundle_is_current():
            return
        assert (WEB / "node_modules").exists(), "run `make test` (or `cd web && npm ci`) to install the editors"
        subprocess.run(["npm", "run", "--silent", "build"], cwd=WEB, check=True, timeout=300)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    built = build_site(Path(tmp_path_factory.mktemp("e2e")))
    yield built
    built.host.db.dispose()


@contextlib.contextmanager
def served(site: Site) -> Iterator[str]:
    """The site's app on a free loopback port, in a thread, while the block runs; yields its base URL."""
    server = make_server("127.0.0.1", 0, site.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def base_url(site: Site) -> Iterator[str]:
    with served(site) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    assert CHROMIUM.exists(), "the e2e tests need Debian's chromium at /usr/bin/chromium (make test installs it)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield chromium
        chromium.close()


class Browse:
    """A logged-in page plus helpers: screenshots and console errors (CSP violations show there)."""

    def __init__(self, browser: Any, base_url: str, name: str, *, width: int = 1280, height: int = 900,
                 locale: str = "en-GB"):
        self.base_url, self.name = base_url, name
        self.context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True,
                                           locale=locale)
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.context.close()

    def login(self, login: str) -> Any:
        """Log in through the form (in any language: the fields are found by their ids)."""
        page = self.page
        page.goto(f"{self.base_url}/login")
        page.locator("#login").fill(login)
        page.locator("#password").fill(PASSWORD)
        page.locator("form[action$='/login'] button[type=submit]").click()
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    def language(self, lang: str) -> None:
        """Switch the pages' language with the header's NL / EN buttons (kept on the user's account)."""
        self.page.locator(f"form.lang button[value={lang}]").click()
        self.page.wait_for_load_state("load")
        assert self.page.locator("html").get_attribute("lang") == lang

    def shot(self, label: str = "") -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{self.name}{'-' + label if label else ''}.png"), full_page=True)


@contextlib.contextmanager
def browsing(browser: Any, base_url: str, request: pytest.FixtureRequest, **options: Any) -> Iterator[Browse]:
    """A fresh browser context for one test (width, height, locale as options); a screenshot of where it ended,
    then closed."""
    session = Browse(browser, base_url, request.node.name, **options)
    yield session
    session.shot("end")
    session.context.close()


@pytest.fixture
def browse(browser: Any, base_url: str, request: pytest.FixtureRequest) -> Iterator[Browse]:
    with browsing(browser, base_url, request) as session:
        yield session
