"""Open a small report in headless Debian Chromium with the network blocked.

Every map must render (a Leaflet container with vector paths), with no console error, no alert,
and the XSS park name shown as text. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pairnet.spatial.cities import GROUPS

pytestmark = [pytest.mark.browser]

XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


def _small_report(out: Path) -> Path:
    from pairnet.core.outputs import write_outputs
    from pairnet.core.results import Table
    from pairnet.maps import layers
    from pairnet.maps.geometry import city_polygons
    from pairnet.maps.report import (
        MapFigure,
        Study,
        not_run,
        section_from_output,
        write_study_report,
    )


    codes = list(GROUPS["PRD"][:3] + GROUPS["EWN"][:3])
    cities = city_polygons(codes)
    parks = pd.DataFrame({"helper": codes[:3], "recipient": codes[3:],
                          "park": [XSS, "园区 B", "Park C"], "first_year": [2005, 2008, 2011]})
    flows = pd.DataFrame([(o, d, y, (i + y) % 7) for i, (o, d) in
                          enumerate([(a, b) for a in codes[:3] for b in codes[3:]])
                          for y in (2006, 2007)], columns=["origin", "destination", "year",
                                                            "count"])
    effects = pd.DataFrame([(a, b, 0.5 - 0.1 * i) for i, (a, b) in
                            enumerate([(a, b) for a in codes[:3] for b in codes[3:]])],
                           columns=["helper", "recipient", "predicted_effect"])
    panel = pd.DataFrame([(c, y, float(i + y)) for i, c in enumerate(codes) for y in (2010, 2011)],
                         columns=["city", "year", "mig"])
    cats = cities.assign(status=["in park", "outside"] * 3)
    step = write_outputs(out / "parks", results={"n": 3},
                         tables={"parks": Table(parks, "Parks")}, title="Parks")
    maps = [
        MapFigure("Pairing", layers.pairing_map(cities, parks)),
        MapFigure("Flows", layers.flow_map(cities, flows)),
        MapFigure("Effect", layers.distance_effect_map(cities, effects, actual=parks)),
        MapFigure("Choropleth", layers.choropleth_map(cities, panel, "mig")),
        MapFigure("Land", layers.category_map(cats, "status")),
    ]
    study = Study("gd", "Guangdong", [section_from_output(step, "parks", maps=maps),
                                      not_run("did", "DID", "not available")])
    return write_study_report([study], out, demo=True)


def test_report_renders_offline_in_chromium(tmp_path):
    from playwright.sync_api import sync_playwright

    report = _small_report(tmp_path)
    ARTIFACTS.mkdir(exist_ok=True)
    errors, dialogs, blocked = [], [], []
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": 1280, "height": 900})
        page = ctx.new_page()

        def route(r):
            if r.request.url.startswith(("file:", "data:")):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        page.wait_for_timeout(500)
        n_maps = page.locator(".pn-map-wrap").count()
        containers = page.locator(".pn-map-wrap .leaflet-container").count()
        paths_per_map = page.evaluate(
            "Array.from(document.querySelectorAll('.pn-map-wrap')).map("
            "w => w.querySelectorAll('path.leaflet-interactive').length)")
        page.screenshot(path=str(ARTIFACTS / "report_top.png"))
        page.locator(".pn-map-wrap").first.screenshot(path=str(ARTIFACTS / "pairing_map.png"))
        page.locator(".pn-map-wrap").nth(1).screenshot(path=str(ARTIFACTS / "flow_map.png"))
        # hovering the recipient dot of the XSS park shows its name as text in the tooltip
        pair = page.locator(".pn-map-wrap").first
        dots = pair.locator("path.leaflet-interactive[d*=' a']")
        tips = []
        for i in range(dots.count()):
            dots.nth(i).hover(force=True)
            page.wait_for_timeout(100)
            tips.append(" ".join(page.locator(".leaflet-tooltip").all_inner_texts()))
        # the XSS park name is in the table as text
        cell = page.locator(".pn-table td", has_text="<script>alert(1)</script>")
        xss_as_text = cell.count()
        # the flow map's threshold selector filters lines
        sel = page.locator(".pn-threshold").first
        before = page.locator(".pn-map-wrap").nth(1).locator("path").count()
        sel.select_option("5")
        after = page.locator(".pn-map-wrap").nth(1).locator("path").count()
        eff = page.locator(".pn-map-wrap").nth(2)
        # the effect map opens on ONE helper (not the all-pairs hairball); "all" stays available
        default_helper = page.locator(".pn-helper").first.input_value()
        one_helper = eff.locator("path").count()
        page.locator(".pn-helper").first.select_option("all")
        all_pairs = eff.locator("path").count()
        helper_label = page.locator(".pn-helper option").nth(1).inner_text()
        banner = page.locator("#pn-demo-banner").inner_text()
        notrun = page.locator("section[data-status='not run']").count()
        ctx.close()
    assert n_maps == 5
    assert containers == 5
    assert all(n > 0 for n in paths_per_map), paths_per_map
    assert errors == []
    assert dialogs == []
    assert blocked == []
    assert xss_as_text == 1
    assert any(XSS in t for t in tips), tips
    assert after < before
    assert one_helper < all_pairs
    assert default_helper == "0"
    assert helper_label == "Guangzhou"  # the English report names places in pinyin
    assert "synthetic" in banner
    assert notrun == 1
