"""How wide pages render on a phone, measured in a Chromium of its own.

Run as a script by test_phone_layout.py: the browser tests keep one Playwright (and its event loop)
open in the test process for the whole session, and a second one cannot start beside it.

Input (argv[1], JSON): {"base": url, "chromium": path, "args": [...], "width": 390,
"people": [{"email": ..., "password": ..., "paths": [...]}]}. Output (stdout, JSON): {path: width}.
"""

from __future__ import annotations

import json
import sys

from playwright.sync_api import sync_playwright


def main(spec: dict) -> dict[str, int]:
    widths: dict[str, int] = {}
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=spec["chromium"], headless=True, args=spec["args"])
        for person in spec["people"]:
            context = chromium.new_context(base_url=spec["base"], viewport={"width": spec["width"], "height": 844})
            context.set_default_timeout(10_000)
            page = context.new_page()
            page.goto("/accounts/login/")
            page.fill("input[name=login]", person["email"])
            page.fill("input[name=password]", person["password"])
            page.get_by_role("button", name="Sign in", exact=True).click()
            # signed in: the Sign out button is there, folded behind the menu on a phone
            page.get_by_role("button", name="Sign out", include_hidden=True).wait_for(state="attached")
            for path in person["paths"]:
                page.goto(path)
                widths[path] = page.evaluate("document.documentElement.scrollWidth")
            context.close()
        chromium.close()
    return widths


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
