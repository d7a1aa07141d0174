"""A customer searches on a phone and a laptop: a typo is forgiven with "Did you mean",
facets narrow the results with the page's own form (no JavaScript needed), and the page
fits a 390 px phone without sideways scrolling."""

from playwright.sync_api import expect


def _no_sideways_scrolling(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"the page is {width} px wide in a {viewport} px window"


def test_a_typo_and_a_facet_on_a_laptop(page, shot):
    page.goto("/search?q=tnet")
    expect(page.get_by_text("Did you mean")).to_be_visible()
    expect(page.locator(".card-name", has_text="Ridgeline Tent")).to_be_visible()
    page.get_by_role("link", name="tent", exact=True).click()
    expect(page.get_by_role("heading", name="Results for “tent”")).to_be_visible()
    page.get_by_label("Orange").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_label("Orange")).to_be_checked()
    expect(page.get_by_text("1 product found")).to_be_visible()
    shot(page, "laptop")


def test_the_search_page_fits_a_phone_without_javascript(browser, live_server, shot):
    context = browser.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto("/search?q=tents")
        expect(page.locator(".card-name", has_text="Ridgeline Tent")).to_be_visible()
        _no_sideways_scrolling(page)
        page.get_by_label("In stock now").check()
        page.get_by_role("button", name="Apply filters").click()
        expect(page.get_by_label("In stock now")).to_be_checked()
        expect(page.locator(".card-name", has_text="Ridgeline Tent")).to_be_visible()
        _no_sideways_scrolling(page)
        shot(page, "phone")
    finally:
        context.close()
