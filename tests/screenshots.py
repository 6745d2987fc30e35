"""The README's screenshots, taken in Debian's Chromium from the real app: `python -m tests.screenshots`.

It serves the app on the configured index (as `make run` does; the first run indexes `data/`), with a one-off
admin password for the 管理 shot, and writes chat, hotline, library, admin and chat-phone PNGs to
docs/screenshots/ (`--out` to change). The browser tests use the same launcher and take the same shots.
"""

from __future__ import annotations

import argparse
import secrets
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ANSWER_TIMEOUT_MS = 120_000
QUESTION = "我们公司汽车芯片过了车规认证，能拿多少补贴？找哪个部门？"


def launch(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def ask(page, question: str) -> None:
    """Type a question into the chat, press Enter and wait for its source chips."""
    before = page.locator("#chatbot .pq-sources").count()
    box = page.locator("#chat-input textarea")
    box.fill(question)
    box.press("Enter")
    page.locator("#chatbot .pq-sources").nth(before).wait_for(timeout=ANSWER_TIMEOUT_MS)


def settled(page) -> None:
    """Wait until no component is dimmed by a pending update (Gradio's loading state)."""
    page.wait_for_function("() => !document.querySelector('.pending, .generating')")
    page.wait_for_timeout(200)  # the fade back to full opacity


def take(browser, url: str, out: Path, password: str) -> list[Path]:
    """The five screens of the README, as PNG files in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    shots = []

    def open_page(viewport: dict, **options):
        context = browser.new_context(viewport=viewport, locale="zh-CN", **options)
        page = context.new_page()
        page.goto(url)
        page.locator("#chat-input").wait_for()
        return context, page

    context, page = open_page(DESKTOP)
    ask(page, QUESTION)
    page.locator("#chatbot .pq-chip").first.click()
    settled(page)
    shots.append(out / "chat.png")
    page.screenshot(path=str(shots[-1]))

    page.get_by_role("tab", name="热线助手").click()
    page.locator("#hotline-examples button").first.click()
    page.locator("#hotline-result .pq-dept").wait_for(timeout=ANSWER_TIMEOUT_MS)
    settled(page)
    shots.append(out / "hotline.png")
    page.screenshot(path=str(shots[-1]))

    page.get_by_role("tab", name="政策库").click()
    page.locator("#library-table .pq-badge").filter(visible=True).first.wait_for()  # rows have rendered
    settled(page)
    shots.append(out / "library.png")
    page.screenshot(path=str(shots[-1]))

    page.get_by_role("tab", name="管理").click()
    page.locator("#admin-user input, #admin-user textarea").first.fill("admin")
    page.locator("#admin-password input").fill(password)
    page.locator("#admin-login").click()
    page.locator("#admin-remove").wait_for()
    settled(page)
    shots.append(out / "admin.png")
    page.screenshot(path=str(shots[-1]), full_page=True)
    context.close()

    context, page = open_page(PHONE, is_mobile=True, has_touch=True)
    ask(page, QUESTION)
    settled(page)
    shots.append(out / "chat-phone.png")
    page.screenshot(path=str(shots[-1]))
    context.close()
    return shots


def main() -> None:
    from playwright.sync_api import sync_playwright

    from app import create_app
    from settings import Settings
    from web.server import serving

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    password = secrets.token_urlsafe(12)
    with serving(create_app(Settings.from_env().with_(admin_password=password))) as url, sync_playwright() as p:
        browser = launch(p)
        for path in take(browser, url, args.out, password):
            print(path)
        browser.close()


if __name__ == "__main__":
    main()
