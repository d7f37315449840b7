"""The processing times in headless Chromium: the charts load as images under the pages' CSP, with
nothing refused, and the page reflows on a small screen."""

from __future__ import annotations


def test_the_charts_show_under_the_content_security_policy(open_page, live_server, screenshot):
    page = open_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(f"{live_server.url}/public/statistics")
    assert page.get_by_role("heading", level=1).inner_text() == "How long the office takes"
    images = page.locator("figure.chart img")
    assert images.count() == 2
    for i in range(images.count()):
        image = images.nth(i)
        image.scroll_into_view_if_needed()
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), image.get_attribute("src")
        assert image.get_attribute("alt")
    assert not refused, refused
    screenshot(page, "statistics")


def test_the_statistics_reflow_at_320_pixels(open_page, live_server, screenshot):
    page = open_page()
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"{live_server.url}/public/statistics?lang=fr")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"the page is {width} px wide"
    screenshot(page, "statistics-320-fr")
