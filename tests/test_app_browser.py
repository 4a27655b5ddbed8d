"""End to end: the classroom page in a real headless Chromium, offline.

Skipped, with the reason in pytest's summary (``-rs``), when Chromium, Playwright or the
app extra is missing; CI installs all three.
"""

from __future__ import annotations

import time

import pagedriver
import pytest

pytestmark = pytest.mark.skipif(
    pagedriver.missing() is not None, reason=f"browser test: {pagedriver.missing()}"
)


# What a projected tab says (nicsim.ui.app.PAGE_TITLE). Written out rather than imported:
# importing the page loads Solara, Mesa's page and pandas, some 15 s on a CI machine, and only
# the server needs them.
TITLE = "nicsim: networked improvement communities"


def test_page_in_headless_chromium():
    start = time.monotonic()
    with pagedriver.serve() as url, pagedriver.browser() as page:
        pagedriver.open_page(page, url)
        page.wait_for_function(f"document.title === {TITLE!r}", timeout=30_000)

        step = page.get_by_role("button", name="Step", exact=True)
        for n in (1, 2, 3):
            step.click()
            pagedriver.wait_for_step(page, n)

        page.get_by_role("button", name="Very different contexts").click()
        pagedriver.wait_for_step(page, 0)
        h_label = page.get_by_text("How different the districts' contexts are (h): 0.9")
        h_label.wait_for(timeout=30_000)
        assert page.locator('[role="slider"][aria-valuenow="0.9"]').count() >= 1
        assert page.get_by_text("networked: a hub plus direct ties").count() == 1

        png = page.screenshot(full_page=True)
        requests = list(page.requests)

    assert pagedriver.pixel_spread(png) > 20, "the screenshot looks blank"
    assert any(u.startswith(url) for u in requests)
    assert pagedriver.off_host(requests) == [], "the page fetched from off this machine"
    print(f"browser test took {time.monotonic() - start:.1f} s, {len(requests)} requests")
