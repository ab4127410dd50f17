"""The demo report as a planner and an economist open it: Chromium, network blocked.

One demo-sized report per language is built once for the module (the demo studies with fewer
placebo and optimizer draws). At 1400 px and 390 px, in English and Chinese, the browser must
find: no table whose rows (or columns) are hidden inside a scroll box (a wide table may scroll
sideways, with a visible cue), no two overlapping map controls, city names on the pairing map,
Table 1's control mean 0.540, and (Chinese) Chinese headings, captions, legends and selectors.
A PDF print keeps every table whole. Screenshots of every section and the PDFs go to
``test-artifacts/``.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "report"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
CJK = re.compile(r"[\u4e00-\u9fff]")

# every table: is any ancestor a scroll box that hides rows (vertical) or clips columns?
HIDDEN_JS = """() => {
  const out = [];
  document.querySelectorAll('.pn-tablewrap table').forEach((t, i) => {
    let e = t.parentElement;
    while (e && e !== document.body) {
      const cs = getComputedStyle(e);
      const vHidden = ['auto', 'scroll', 'hidden', 'clip'].includes(cs.overflowY)
                      && e.scrollHeight > e.clientHeight + 1;
      const hClipped = ['hidden', 'clip'].includes(cs.overflowX)
                       && e.scrollWidth > e.clientWidth + 1;
      if (vHidden || hClipped) {
        out.push({table: i, caption: t.closest('figure').querySelector('figcaption').innerText,
                  tag: e.tagName, cls: e.className, v: vHidden, h: hClipped});
        break;
      }
      e = e.parentElement;
    }
  });
  return out;
}"""
# a table wider than its box: it scrolls sideways and its cue is visible
WIDE_JS = """() => Array.from(document.querySelectorAll('.pn-table-figure')).map(f => {
  const w = f.querySelector('.pn-tablewrap'), cue = f.querySelector('.pn-wide-cue');
  return {wide: w.scrollWidth > w.clientWidth + 1, scrolls: getComputedStyle(w).overflowX,
          cue: cue.offsetParent !== null && cue.innerText.length > 0,
          caption: f.querySelector('figcaption').innerText};
})"""
# map controls: their boxes, per map; two overlapping boxes hide one another
CONTROLS_JS = """() => Array.from(document.querySelectorAll('.pn-map-wrap')).map(w => {
  const m = w.getBoundingClientRect();
  const boxes = Array.from(w.querySelectorAll('.leaflet-control')).map(c => {
    const r = c.getBoundingClientRect();
    return {cls: c.className, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom};
  }).filter(b => b.x1 - b.x0 > 0 && b.y1 - b.y0 > 0);
  return {map: {x0: m.left, y0: m.top, x1: m.right, y1: m.bottom}, boxes: boxes};
})"""


def _overlaps(boxes: list[dict], tol: float = 1) -> list[tuple[str, str]]:
    """Pairs of boxes overlapping by more than ``tol`` px both ways (``tol < 0``: touching)."""
    bad = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > tol and \
                    min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > tol:
                bad.append((a["cls"], b["cls"]))
    return bad


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The demo report in English and in Chinese (fewer draws: demo-sized, not demo-long)."""
    from pairnet.pipeline import run_report
    from pairnet.study import demo_config

    out = {}
    for lang in ("en", "zh"):
        cfg = demo_config(lang=lang)
        gd = cfg.studies[0]
        # HonestDiD at two M̄ and one M (its section and figure are drawn all the same)
        gd = dataclasses.replace(gd, did=dataclasses.replace(gd.did, placebo=40,
                                                             honest_mbar=(0.0, 1.0),
                                                             honest_m=(0.05,)),
                                 optimize=dataclasses.replace(gd.optimize, draws=50))
        cfg = dataclasses.replace(cfg, studies=(gd, *cfg.studies[1:]))
        out[lang] = run_report(cfg, tmp_path_factory.mktemp(f"report_{lang}"), progress=False)
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def _open(browser, report: Path, width: int):
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors, blocked = [], []

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_timeout(800)
    return page, errors, blocked


@pytest.mark.parametrize("width", [1400, 390])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_shows_everything_at_both_widths(reports, browser, lang, width):
    page, errors, blocked = _open(browser, reports[lang], width)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    sections = page.locator("section.pn-section")
    for i in range(sections.count()):
        sid = sections.nth(i).get_attribute("id")
        sections.nth(i).screenshot(path=str(ARTIFACTS / f"{lang}_{width}_{i:02d}_{sid}.png"),
                                   animations="disabled", timeout=120_000)
    hidden = page.evaluate(HIDDEN_JS)
    wide = page.evaluate(WIDE_JS)
    controls = page.evaluate(CONTROLS_JS)
    pairing = page.locator("#guangdong-pairing .pn-map-wrap").first
    labels = pairing.locator(".pn-label").all_text_contents()
    t1 = page.locator("#guangdong-did figure.pn-table-figure").filter(
        has_text=re.compile("Table 1|表 1")).first.inner_text()
    heads = page.locator("h2, h3, figcaption").all_inner_texts()
    legends = page.locator(".pn-legend-title").all_inner_texts()
    selects = page.locator(".leaflet-control select option").all_inner_texts()
    banner = page.locator("#pn-demo-banner").inner_text()
    n_tables = page.locator(".pn-tablewrap table").count()
    page.close()

    assert errors == [] and blocked == []
    assert n_tables > 20
    assert hidden == [], hidden
    for w in wide:  # a table wider than the screen scrolls sideways and says so
        assert not w["wide"] or (w["scrolls"] == "auto" and w["cue"]), w
    for m in controls:
        assert len(m["boxes"]) >= 3  # zoom, scale, legend (and selectors)
        assert _overlaps(m["boxes"]) == [], m
        for b in m["boxes"]:  # inside the map
            assert b["x0"] >= m["map"]["x0"] - 1 and b["x1"] <= m["map"]["x1"] + 1, (b, m)
    # the city labels start in the reader's language (pinyin in English)
    assert ({"广州", "深圳", "韶关", "湛江"} if lang == "zh" else
            {"Guangzhou", "Shenzhen", "Shaoguan", "Zhanjiang"}) <= set(labels), labels
    assert "0.540" in t1  # the control-group mean of the count, not "1"
    assert "registry" in banner or "登记" in banner
    if lang == "zh":
        assert all(CJK.search(h) for h in heads if h.strip()), [h for h in heads
                                                                  if not CJK.search(h)]
        assert all(CJK.search(t) for t in legends), legends
        assert any("全部组合" in s for s in selects) and any("中文" in s for s in selects)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pdf_print_keeps_every_table_whole(reports, browser, lang):
    from pypdf import PdfReader

    page, errors, _ = _open(browser, reports[lang], 800)
    page.emulate_media(media="print")
    # in print layout (A4 minus margins is about 718 CSS px) no table is cut or scrolls
    page.set_viewport_size({"width": 718, "height": 1000})
    page.wait_for_timeout(300)
    # every map is fitted again to the printed page: its data inside the map, filling it one
    # way (not zoomed far out); its city labels placed again, none touching another
    maps = page.evaluate(MAP_LAYOUT_JS)
    assert len(maps) >= 5
    for m in maps:
        d, f = m["data"], m["frame"]
        assert (d["x0"] >= f["x0"] - 1 and d["x1"] <= f["x1"] + 1
                and d["y0"] >= f["y0"] - 1 and d["y1"] <= f["y1"] + 1), (m["section"], d, f)
        assert max((d["x1"] - d["x0"]) / (f["x1"] - f["x0"]),
                   (d["y1"] - d["y0"]) / (f["y1"] - f["y0"])) > 0.6, (m["section"], d, f)
        assert _overlaps(m["labels"], tol=-1) == [], m["section"]
    # a table that fits on a page is printed whole: its figure is not broken inside
    breaks = page.evaluate("""() => Array.from(document.querySelectorAll('figure.pn-table-figure'))
        .map(f => getComputedStyle(f).breakInside)""")
    assert breaks and set(breaks) == {"avoid"}, set(breaks)
    # maketables' hidden group rows (coef / fe / stats) stay hidden in print
    shown = page.evaluate("""() => Array.from(document.querySelectorAll('th.gt_group_heading'))
        .filter(e => getComputedStyle(e).fontSize !== '0px' && e.getBoundingClientRect().height > 2
                     && /^(coef|fe|stats)$/.test(e.textContent.trim())).length""")
    assert shown == 0
    clipped = page.evaluate("""() => Array.from(document.querySelectorAll('.pn-tablewrap'))
        .filter(w => w.scrollWidth > w.clientWidth + 1 || w.scrollHeight > w.clientHeight + 1)
        .map(w => w.closest('figure').querySelector('figcaption').innerText)""")
    last_cells = page.evaluate("""() => Array.from(document.querySelectorAll('.pn-tablewrap table'))
        .map(t => { const rows = t.querySelectorAll('tbody tr');
                    const r = rows[rows.length - 1]; return r ? r.innerText : ''; })""")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / f"report_{lang}.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    page.close()
    assert clipped == [], clipped
    text = " ".join(p.extract_text() or "" for p in PdfReader(str(pdf)).pages)
    flat = re.sub(r"\s+", "", text)
    # the last row of every table reaches the PDF: its first cell, whitespace ignored, for
    # the rows that start with digits or Latin text (pypdf does not map every CJK glyph back)
    firsts = [re.sub(r"\s+", "", c.split("\t")[0]) for c in last_cells if c.strip()]
    checked = [f for f in firsts if f and f.isascii()]
    assert len(checked) > 10
    missing = [f for f in checked if f not in flat]
    assert missing == [], missing[:5]
    assert errors == []


# every map: its visible city labels, the recipient dots, the polygons' extent, the map controls
# and the colour bars' tick labels, as boxes in the page (px)
MAP_LAYOUT_JS = """() => Array.from(document.querySelectorAll('.pn-map-wrap')).map(w => {
  const div = w.querySelector('.folium-map'), map = window[div.id];
  const box = r => ({x0: r.left, y0: r.top, x1: r.right, y1: r.bottom});
  const c = div.getBoundingClientRect(), dots = [];
  let data = null;
  map.eachLayer(l => {
    if (l instanceof L.CircleMarker) {
      const p = map.latLngToContainerPoint(l.getLatLng());
      dots.push({x: c.left + p.x, y: c.top + p.y});
    } else if (l instanceof L.Polygon) {
      data = data ? data.extend(l.getBounds()) : L.latLngBounds(l.getBounds());
    }
  });
  const corner = ll => map.latLngToContainerPoint(ll);
  const nw = data && corner(data.getNorthWest()), se = data && corner(data.getSouthEast());
  const text = e => { const g = document.createRange(); g.selectNodeContents(e);
                      return box(g.getBoundingClientRect()); };
  return {
    section: w.closest('section').id,
    frame: box(c),
    labels: Array.from(w.querySelectorAll('.pn-label span'))
      .filter(e => getComputedStyle(e).visibility === 'visible')
      .map(e => Object.assign(box(e.getBoundingClientRect()), {cls: e.textContent})),
    total: w.querySelectorAll('.pn-label span').length,
    dots: dots,
    data: data && {x0: c.left + nw.x, y0: c.top + nw.y, x1: c.left + se.x, y1: c.top + se.y,
                   cls: 'data'},
    controls: Array.from(w.querySelectorAll('.leaflet-control'))
      .map(e => Object.assign(box(e.getBoundingClientRect()), {cls: e.className}))
      .filter(b => b.x1 > b.x0 && b.y1 > b.y0),
    ticks: Array.from(w.querySelectorAll('.pn-legend')).map(lg => Array.from(
      lg.querySelectorAll('.pn-tick')).map(e => Object.assign(text(e), {cls: e.textContent}))),
  };
})"""
SET_LABELS_JS = """k => document.querySelectorAll('select.pn-labels').forEach(s => {
  s.value = k; s.onchange(); })"""


def _inside(p: dict, b: dict) -> bool:
    return b["x0"] < p["x"] < b["x1"] and b["y0"] < p["y"] < b["y1"]


# every table cell: its width, the lines its text runs over, and the Latin words that a line
# break cuts in two (first and last letter on different lines)
CELLS_JS = r"""() => {
  const out = [];
  document.querySelectorAll('.pn-tablewrap table').forEach(t => {
    const caption = t.closest('figure').querySelector('figcaption').innerText;
    t.querySelectorAll('td, th').forEach(c => {
      const box = c.getBoundingClientRect();
      if (c.classList.contains('gt_group_heading') || box.height < 2) return;
      const all = document.createRange(); all.selectNodeContents(c);
      const lines = new Set(Array.from(all.getClientRects()).filter(r => r.width > 0)
                            .map(r => Math.round(r.top))).size;
      const broken = [];
      const walk = document.createTreeWalker(c, NodeFilter.SHOW_TEXT);
      for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        for (const m of n.textContent.matchAll(/[A-Za-z0-9.%]{2,}/g)) {
          const top = k => { const r = document.createRange(); r.setStart(n, k);
                             r.setEnd(n, k + 1); const q = r.getClientRects()[0];
                             return q ? Math.round(q.top) : null; };
          if (top(m.index) !== top(m.index + m[0].length - 1)) broken.push(m[0]);
        }
      }
      out.push({caption: caption, tag: c.tagName, width: box.width, lines: lines,
                text: c.innerText.slice(0, 40), broken: broken});
    });
  });
  return out;
}"""


@pytest.mark.parametrize("width", [1400, 390])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_maps_keep_labels_dots_legends_and_data_apart(reports, browser, lang, width):
    """City labels (Chinese and English) never overlap one another, a control or a recipient
    dot; no control covers the polygons; colour-bar ticks do not touch; the scale says 千米 in
    Chinese and every legend item's swatch is drawn."""
    page, errors, _ = _open(browser, reports[lang], width)
    layouts = {}
    for mode in ("zh", "en"):
        page.evaluate(SET_LABELS_JS, mode)
        page.wait_for_timeout(200)
        layouts[mode] = page.evaluate(MAP_LAYOUT_JS)
    scale = page.locator(".leaflet-control-scale-line").all_inner_texts()
    page.close()
    assert errors == []
    assert scale and all(t.endswith("千米" if lang == "zh" else "km") for t in scale), scale
    for mode, maps in layouts.items():
        assert len(maps) >= 5
        for m in maps:
            where = (mode, m["section"])
            labels = m["labels"]
            assert _overlaps(labels) == [], where
            bad = [(lb["cls"], c["cls"]) for lb in labels for c in m["controls"]
                   if _overlaps([lb, c])]
            assert bad == [], (where, bad)
            covered = [(lb["cls"], d) for lb in labels for d in m["dots"] if _inside(d, lb)]
            assert covered == [], (where, covered)
            if m["data"]:  # the polygons' extent lies clear of every control
                clash = [c["cls"] for c in m["controls"] if _overlaps([m["data"], c])]
                assert clash == [], (where, clash, m["data"])
            for ticks in m["ticks"]:
                assert _overlaps(ticks) == [], (where, ticks)
            # most names fit at once (the others appear on zooming in)
            assert len(labels) >= 0.6 * m["total"], (where, len(labels), m["total"])
        pairing = next(m for m in maps if m["section"] == "guangdong-pairing")
        assert len(pairing["dots"]) >= 10 and len(pairing["labels"]) >= 18, len(pairing["labels"])


@pytest.mark.parametrize("width", [1400, 390])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_table_cells_are_never_squeezed(reports, browser, lang, width):
    page, errors, _ = _open(browser, reports[lang], width)
    cells = page.evaluate(CELLS_JS)
    hubs = page.locator("#guangdong-network figure.pn-table-figure td.gt_left").all_inner_texts()
    page.close()
    assert errors == [] and len(cells) > 1000
    # a text cell beside numbers that never wrap gets room: no narrow column of many lines
    squeezed = [c for c in cells if c["tag"] == "TD" and c["width"] < 100 and c["lines"] > 3]
    assert squeezed == [], squeezed[:5]
    assert [c for c in cells if c["broken"]] == []
    # the network hubs are city names in the reader's language, each "name strength" whole
    hubs = [h for h in hubs if h]
    assert len(hubs) > 20 and all(re.fullmatch(r"[^;]+\s\d+(;\s[^;]+\s\d+)*", h) for h in hubs)
    assert all(bool(CJK.search(h)) == (lang == "zh") for h in hubs), hubs[:3]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_printed_tables_break_between_words_only(reports, browser, lang):
    page, errors, _ = _open(browser, reports[lang], 800)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 718, "height": 1000})  # A4 minus margins
    page.wait_for_timeout(300)
    cells = page.evaluate(CELLS_JS)
    wide = page.evaluate("""() => Array.from(document.querySelectorAll('.pn-tablewrap table'))
        .filter(t => t.getBoundingClientRect().width > 719)
        .map(t => t.closest('figure').querySelector('figcaption').innerText)""")
    page.close()
    assert errors == [] and wide == []
    broken = [(c["caption"], c["broken"]) for c in cells if c["broken"]]
    assert broken == [], broken[:5]
    assert [c for c in cells if c["tag"] == "TD" and c["width"] < 40 and c["lines"] > 3] == []
    # nor a short name (东莞市): a cell of a few characters is one line
    assert [c for c in cells
            if c["tag"] == "TD" and len(c["text"].strip()) <= 4 and c["lines"] > 1] == []
