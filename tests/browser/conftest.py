"""Browser suite: Playwright for Python driving Debian's Chromium.

One browser per test session, a fresh context (cookies, storage) per test. The wizard is the real
app on the live server at http://127.0.0.1:<port>; host pages are on http://localhost:<port> (the
demo page) - another *site* - so every journey runs cross-site with Chromium refusing unpartitioned
third-party cookies (test_cross_site.py proves that blocking is on).

`other_server` is a second, tiny HTTP server on another port for pages of origins that are NOT
allowed (http://localhost:<other>, http://127.0.0.1:<other>): attackers, spies, cookie probes.
"""
from __future__ import annotations

import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect, sync_playwright

from browser_support import ROOT, axe_summary

FAILURES = ROOT / "test-artifacts" / "failures"

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

expect.set_options(timeout=10_000)


# -- browser --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        # Playwright turns Chromium's popup blocker off by default; the suite keeps it on, as
        # end users have it (the SDK and the wizard must open popups inside the click).
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                              ignore_default_args=["--disable-popup-blocking"])
        yield b
        b.close()


@pytest.fixture
def context(browser, live_server):
    ctx = browser.new_context(viewport={"width": 1100, "height": 800})
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """After a browser test's call phase: when it failed, a screenshot of every page it had open
    (test-artifacts/failures/, gitignored), taken before the context fixture closes them."""
    outcome = yield
    report = outcome.get_result()
    ctx = item.funcargs.get("context") if report.when == "call" and report.failed else None
    if ctx is None:
        return
    FAILURES.mkdir(parents=True, exist_ok=True)
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in item.name)
    for i, p in enumerate(ctx.pages):
        try:
            p.screenshot(path=str(FAILURES / f"{name}-{i}.png"), full_page=True)
        except Exception:  # a page closing under us must not hide the real failure
            pass


@pytest.fixture(scope="session")
def host(live_port) -> str:
    """The ISV side: same server, another site than the wizard (127.0.0.1)."""
    return f"http://localhost:{live_port}"


# -- the second server ------------------------------------------------------------------------

class OtherServer:
    """Serves registered pages on another port; `origin(host)` gives e.g. http://localhost:<port>."""

    def __init__(self):
        self.pages: dict[str, tuple[str, str, dict]] = {}
        self.requests: list[tuple[str, dict]] = []
        pages, requests = self.pages, self.requests

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                path = urlsplit(self.path).path
                requests.append((self.path, dict(self.headers)))
                if path == "/__echo-cookies":
                    content_type, body, headers = "text/plain", self.headers.get("Cookie") or "", {}
                elif path in pages:
                    content_type, body, headers = pages[path]
                else:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", content_type + "; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def origin(self, hostname: str = "localhost") -> str:
        return f"http://{hostname}:{self.port}"

    def add(self, path: str, body: str, content_type: str = "text/html", headers: dict | None = None) -> str:
        self.pages[path] = (content_type, body, headers or {})
        return path


@pytest.fixture(scope="session")
def other_server():
    server = OtherServer()
    server.thread.start()
    yield server
    server.server.shutdown()



@pytest.fixture
def allowed_other(app, other_server):
    """For one test, http://localhost:<other port> is an allowed origin too (the live server
    shares the app object, which reads the list on each request). Its pages are real loopback
    pages, unlike Playwright-fulfilled ones, which Chromium's local-network checks treat as
    public and forbid to frame 127.0.0.1."""
    origin = other_server.origin("localhost")
    before = list(app.config["WIZARD_ALLOWED_ORIGINS"])
    app.config["WIZARD_ALLOWED_ORIGINS"] = before + [origin]
    yield origin
    app.config["WIZARD_ALLOWED_ORIGINS"] = before


def pytest_terminal_summary(terminalreporter):
    axe_summary(terminalreporter)
