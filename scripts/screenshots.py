"""Screenshots of the classroom page in each preset, for docs/img/ (README, CLASSROOM.md).

    python3 scripts/screenshots.py [--months 12] [--out docs/img]

Serves ``nicsim app`` on a free port, opens it in headless Chromium (see
tests/pagedriver.py), and for each preset clicks it, steps the given number of months and
saves ``page-<preset>.png``. Needs the app extra, Playwright and Debian's chromium.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import pagedriver  # noqa: E402

from nicsim.ui.app import PRESETS  # noqa: E402


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=12, help="months to step before a shot")
    parser.add_argument("--out", default=str(ROOT / "docs" / "img"), help="folder for the PNGs")
    args = parser.parse_args()
    reason = pagedriver.missing()
    if reason:
        print(f"screenshots: {reason}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with pagedriver.serve() as url, pagedriver.browser(1600, 1250) as page:
        pagedriver.open_page(page, url)
        step = page.get_by_role("button", name="Step", exact=True)
        for name in PRESETS:
            page.get_by_role("button", name=name).click()
            pagedriver.wait_for_step(page, 0)
            for n in range(1, args.months + 1):
                step.click()
                pagedriver.wait_for_step(page, n)
            page.wait_for_timeout(1500)  # let the last figures arrive
            path = out / f"page-{slug(name)}.png"
            page.screenshot(path=str(path))
            print(f"wrote {path}")
        off = pagedriver.off_host(page.requests)
    if off:
        print(f"screenshots: the page fetched from off this machine: {off}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
