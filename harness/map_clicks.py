"""Clicks on the /map page's MapLibre map at a place, and waiting until a view has drawn (tests and bench_map)."""

from __future__ import annotations

from playwright.sync_api import Page

PROJECT = """([lon, lat]) => {
  const gd = document.querySelector('#map-graph .js-plotly-plot');
  const map = gd._fullLayout.map._subplot.map;
  const p = map.project([lon, lat]);
  const r = map.getCanvas().getBoundingClientRect();
  return [r.left + p.x, r.top + p.y];
}"""


RENDERED = """([level, code]) => {
  const gd = document.querySelector('#map-graph .js-plotly-plot');
  if (!gd || !gd._fullLayout || !gd._fullLayout.map || !gd._fullLayout.map._subplot) return false;
  const map = gd._fullLayout.map._subplot.map;
  if (gd.layout.uirevision !== (code || level)) return false;  // the figure drawn for this view (the top: its level)
  if (Math.abs(map.getZoom() - gd.layout.map.zoom) > 0.01 || !map.loaded()) return false;
  const units = gd.data.filter(t => t.meta === 'units').flatMap(t => Array.from(t.locations).map(String));
  if (level === 'province') return units.length > 0 && units.every(c => c.length === 4);
  if (level === 'city') return units.length > 0 && units.every(c => c.length === 6);
  if (level === 'county') return units.length > 0 && units.every(c => c.length === 9);
  if (level === 'town') return units.length > 0 && units.every(c => c.length === 12 && c.startsWith(code));
  return units.length === 1 && units[0] === code && gd.data.some(t => t.meta === 'households');
}"""


def rendered(page: Page, level: str, code: str | None = None) -> None:
    """Wait until the map shows ``level`` for ``code`` with its camera settled."""
    page.wait_for_function(RENDERED, arg=[level, code], timeout=60_000, polling=50)


def click_at(page: Page, lon: float, lat: float) -> None:
    """A real mouse click where the map draws (lon, lat)."""
    x, y = page.evaluate(PROJECT, [lon, lat])
    page.mouse.click(x, y)


def drill(page: Page, lon: float, lat: float, level: str, code: str) -> None:
    """Click (lon, lat) once the map has stopped moving, then wait for ``level``/``code``.

    The side panel fills after the map and can resize it; a point projected before that
    lands elsewhere after it, so the target must read the same twice, 250 ms apart.
    """
    where = page.evaluate(PROJECT, [lon, lat])
    for _ in range(40):
        page.wait_for_timeout(250)
        again = page.evaluate(PROJECT, [lon, lat])
        if again == where:
            break
        where = again
    page.mouse.click(*where)
    rendered(page, level, code)
