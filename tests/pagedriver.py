"""Drive the real classroom page: ``nicsim app`` in a subprocess, Debian's Chromium via
Playwright. Shared by the browser test and ``scripts/screenshots.py``.

Chromium is started with the flags that stop its background network calls, with a fresh
profile, and every request the page makes is recorded so a caller can check that nothing
left 127.0.0.1 (the page must work with no internet).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM = os.environ.get("NICSIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def missing() -> str | None:
    """Why the browser test cannot run here, or None if it can."""
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set NICSIM_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[dev]')"
    try:
        import solara_assets  # noqa: F401
    except ImportError:
        return "the app extra is not installed (pip install -e '.[app]')"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(timeout: float = 90.0) -> Iterator[str]:
    """Start ``nicsim app`` on a free port; yield its URL once it answers; stop it after."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "nicsim.ui.cli", "app", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(proc, url, log, timeout)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_until_up(proc: subprocess.Popen, url: str, log, timeout: float) -> None:
    """Poll ``url`` until it answers; report the server's output if it died first."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"nicsim app exited: {log.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"nicsim app did not answer at {url} in {timeout:.0f} s")
        time.sleep(0.3)


@contextlib.contextmanager
def browser(width: int = 1500, height: int = 1300):
    """A Playwright page in headless Chromium with a fresh profile; ``page.requests``
    lists every URL the page asked for (HTTP and WebSocket)."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="nicsim-chromium-")
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_FLAGS,
                viewport={"width": width, "height": height},
            )
            page = context.pages[0] if context.pages else context.new_page()
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.on("websocket", lambda ws: requests.append(ws.url))
            page.requests = requests  # type: ignore[attr-defined]
            try:
                yield page
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def off_host(urls: list[str]) -> list[str]:
    """The URLs that went anywhere but this machine (data: and blob: URLs stay local)."""
    out = []
    for url in urls:
        parts = urlparse(url)
        if parts.scheme in ("data", "blob", "about"):
            continue
        if parts.hostname not in LOCAL_HOSTS:
            out.append(url)
    return out


def step_counter(n: int) -> re.Pattern:
    """Mesa's step counter showing step ``n``: "Step: 3" in Mesa 3.3, "Time: 3.0" in 3.5."""
    return re.compile(rf"^(Step: {n}|Time: {n}\.0)$")


def wait_for_step(page, n: int, timeout_ms: int = 30_000) -> None:
    page.get_by_text(step_counter(n)).wait_for(timeout=timeout_ms)


def open_page(page, url: str, timeout_ms: int = 60_000) -> None:
    """Load the page and wait until Mesa's step counter and the first figure are shown."""
    page.goto(url)
    wait_for_step(page, 0, timeout_ms)
    page.locator("img").first.wait_for(timeout=timeout_ms)


def pixel_spread(png: bytes) -> float:
    """Standard deviation of the screenshot's grey levels: near 0 for a blank page."""
    import io

    import numpy as np
    from PIL import Image

    grey = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    return float(grey.std())
