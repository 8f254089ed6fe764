"""Household map benchmark: 1,000 households on one village's map, on a phone.

Loads the map page in headless Chromium (Debian's /usr/bin/chromium through Playwright) with a
phone viewport, cold cache, and prints its page weight by resource and the time until the map is
usable (Leaflet loaded, the sheet shown, 1,000 pins drawn: map.js sets data-map-ready-ms). Then
the same on a "cheap phone": CPU slowed 4x and a 3G-like network. Also the time to switch a layer
(recolour 1,000 pins) and the server's time for the page. The ratio is against a bare page that
loads the same Leaflet, image and pins with no application around it, on the same connection.
Not a test: figures and ratios only.

    .venv/bin/python bench/bench_map.py                      # SQLite in a temporary folder
    DATABASE_URL=postgresql://postgres@127.0.0.1/minqing_bench_map \
        .venv/bin/python bench/bench_map.py
"""

from __future__ import annotations

import gzip
import io
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HOUSEHOLDS = int(os.environ.get("BENCH_HOUSEHOLDS", 1000))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
RUNS = int(os.environ.get("BENCH_RUNS", 5))
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "zh-CN"}
# A cheap phone on a weak signal: 4x slower CPU, ~1.6 Mbit/s down, 750 kbit/s up, 150 ms RTT.
SLOW_CPU = 4
SLOW_NET = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8,
            "uploadThroughput": 750_000 / 8}
TMP = Path(tempfile.mkdtemp(prefix="minqing-bench-map-"))


def database_url() -> str:
    raw = os.environ.get("DATABASE_URL")
    if not raw:
        return f"sqlite:///{TMP / 'bench.sqlite3'}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(raw.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    return url.render_as_string(hide_password=False)


def drawn_map() -> bytes:
    """A phone photo of a hand-drawn map: 4000x3000, roads, a river, a thousand little houses."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(3)
    image = Image.new("RGB", (4000, 3000), "#f6f1e3")
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        draw.line([(rng.randrange(4000), 0), (rng.randrange(4000), 3000)], fill="#8a8a8a",
                  width=rng.randrange(12, 40))
    draw.line([(0, 1400), (4000, 1700)], fill="#79aacc", width=90)
    for _ in range(HOUSEHOLDS):
        x, y = rng.randrange(40, 3940), rng.randrange(40, 2940)
        draw.rectangle([x, y, x + 38, y + 28], outline="#333", width=3)
    image = image.filter(ImageFilter.GaussianBlur(0.6))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def populate(app) -> dict:
    from app.accounts.models import Role
    from app.extensions import db
    from app.households.models import Household, HouseholdTag, Visit
    from app.map import operations as ops
    from app.map.models import HouseholdPin
    from app.matters.operations import local_today
    from app.tenancy import bind_township
    from tests import factories

    rng = random.Random(7)
    with app.app_context():
        db.session().expire_on_commit = False
        t = factories.township("benchmap", code="BM")
        bind_township(db.session, t.id)
        village = factories.village(t, "大石门村")
        admin = factories.user(t, Role.TOWNSHIP_ADMIN, name="管理员")
        admin.set_password("bench-pass-1")
        cadres = [factories.user(t, Role.CADRE, name=f"干部{n}") for n in range(34)]
        photo = drawn_map()
        sheet, _ = ops.set_sheet(t, admin, village, image=photo)
        db.session.commit()
        today = local_today(t)
        tags = [tag.value for tag in HouseholdTag]
        households, pins, visits = [], [], []
        for n in range(HOUSEHOLDS):
            hid = uuid.uuid4()
            households.append({
                "township_id": t.id, "id": hid, "village_id": village.id,
                "head_name": rng.choice("王李张刘陈杨赵黄周吴") + rng.choice("建国秀英志强明华"),
                "address": f"大石门村{n // 40 + 1}组{n % 40 + 1}号", "phone": f"139{n:08d}",
                "phone_tail": f"{n % 10000:04d}",
                "tags": rng.sample(tags, rng.choice([0, 0, 0, 1, 1, 2])), "active": True,
                "notes": "", "contact_cadre_id": cadres[n % len(cadres)].id,
                "created_at": datetime.now(UTC)})
            pins.append({"township_id": t.id, "id": uuid.uuid4(), "household_id": hid,
                         "x": rng.random(), "y": rng.random(), "placed_at": datetime.now(UTC),
                         "placed_by_id": admin.id})
            if rng.random() < 0.7:
                visits.append({"township_id": t.id, "id": uuid.uuid4(), "household_id": hid,
                               "visitor_id": cadres[n % len(cadres)].id,
                               "visited_on": today - timedelta(days=rng.randrange(0, 300)),
                               "method": "in_person", "kind": "zoufang", "notes": "",
                               "findings": {}, "recorded_at": datetime.now(UTC),
                               "created_at": datetime.now(UTC)})
        db.session.execute(Household.__table__.insert(), households)
        db.session.execute(HouseholdPin.__table__.insert(), pins)
        db.session.execute(Visit.__table__.insert(), visits)
        db.session.commit()
        for n in range(HOUSEHOLDS // 5):  # 200 matters, a third of them overdue
            h = db.session.get(Household, (t.id, households[rng.randrange(HOUSEHOLDS)]["id"]))
            m = factories.matter(t, title=f"诉求{n}", household=h)
            if n % 3 == 0:
                m.due_on = today - timedelta(days=rng.randrange(1, 30))
        db.session.commit()
        return {"slug": t.slug, "village": village.id, "username": admin.username,
                "photo_bytes": len(photo), "sheet_bytes": sheet.image_bytes,
                "sheet_size": (sheet.width, sheet.height)}


def serve(app) -> tuple[str, object]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def bare_page(base: str, slug: str, village_id) -> str:
    """Leaflet, the same image and the same pins, nothing else: what any such map costs."""
    return f"""<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{base}/static/vendor/leaflet-1.9.4/leaflet.css"></head>
<body style="margin:0"><div id="m" style="height:70vh"></div>
<script src="{base}/static/vendor/leaflet-1.9.4/leaflet.js"></script>
<script>
fetch("{base}/t/{slug}/map/{village_id}").then(r => r.text()).then(html => {{
  const doc = new DOMParser().parseFromString(html, "text/html");
  const el = doc.getElementById("village-map"), W = +el.dataset.width, H = +el.dataset.height;
  const rows = JSON.parse(doc.getElementById("map-data").textContent).households;
  const map = L.map("m", {{crs: L.CRS.Simple, preferCanvas: true}});
  const b = [[0, 0], [H, W]];
  L.imageOverlay(el.dataset.image, b).addTo(map); map.fitBounds(b);
  rows.forEach(r => L.circleMarker([(1 - r[5]) * H, r[4] * W], {{radius: 7}}).addTo(map));
  document.documentElement.setAttribute("data-map-ready-ms", String(Math.round(performance.now())));
}});
</script></body></html>"""


def load(context, url: str, slow: bool) -> dict:
    """One cold load: bytes by resource type, and when the map was usable."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if slow:
        cdp.send("Network.emulateNetworkConditions", SLOW_NET)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": SLOW_CPU})
    sizes: dict[str, int] = {}
    kinds: dict[str, str] = {}
    cdp.on("Network.responseReceived",
           lambda e: kinds.__setitem__(e["requestId"], e["type"]))
    cdp.on("Network.loadingFinished",
           lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(url, wait_until="load")
    page.wait_for_selector("html[data-map-ready-ms]", timeout=120_000)
    ready = int(page.get_attribute("html", "data-map-ready-ms"))
    # The whole weight, the map image included (it may finish after the pins are drawn).
    page.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=120_000)
    page.wait_for_timeout(500)
    by_kind: dict[str, int] = {}
    for rid, size in sizes.items():
        kind = kinds.get(rid, "Other")
        by_kind[kind] = by_kind.get(kind, 0) + size
    result = {"ready_ms": ready, "bytes": sum(sizes.values()), "by_kind": by_kind}
    if "/map/" in url and "bare" not in url:
        started = time.perf_counter()
        page.evaluate("""() => new Promise(done => {
            document.querySelector('input[name=layer][value=matters]').click();
            requestAnimationFrame(() => requestAnimationFrame(done));
        })""")
        result["layer_ms"] = (time.perf_counter() - started) * 1000
    page.close()
    return result


def main() -> None:
    os.environ.setdefault("MINQING_VAR_DIR", str(TMP / "var"))
    from app import create_app
    from app.cli import migrate_database

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url(), "VAR_DIR": str(TMP / "var"),
                      "DOCUMENTS_DIR": str(TMP / "documents"), "WTF_CSRF_ENABLED": True,
                      "LOGIN_RATE_LIMIT": "1000 per minute"})
    with app.app_context():
        migrate_database()
    started = time.perf_counter()
    facts = populate(app)
    engine = app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]
    print(f"data: {HOUSEHOLDS} households placed on one village map, 34 cadres, "
          f"~70% visited, {HOUSEHOLDS // 5} matters ({HOUSEHOLDS // 15} overdue); "
          f"built in {time.perf_counter() - started:.1f} s on {engine}")
    width, height = facts["sheet_size"]
    print(f"map photo uploaded: {facts['photo_bytes'] / 1024:.0f} KiB 4000x3000 -> stored "
          f"{facts['sheet_bytes'] / 1024:.0f} KiB {width}x{height}")

    base, server = serve(app)
    map_url = f"{base}/t/{facts['slug']}/map/{facts['village']}"

    # The server's side: the page's HTML, its size raw and as gzip would send it.
    client = app.test_client()
    from tests.conftest import login

    with app.app_context():
        from sqlalchemy import select

        from app.accounts.models import User
        from app.extensions import db

        user = db.session.scalar(select(User).where(User.username == facts["username"]))
    login(client, user)
    timings = []
    for _ in range(10):
        t0 = time.perf_counter()
        response = client.get(map_url[len(base):])
        assert response.status_code == 200, response.status_code
        html = response.data
        timings.append((time.perf_counter() - t0) * 1000)
    print(f"server: map page median {statistics.median(timings):.0f} ms (10 warm requests), "
          f"HTML {len(html) / 1024:.0f} KiB raw, {len(gzip.compress(html)) / 1024:.0f} KiB gzipped")

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"])
        context = browser.new_context(**PHONE)
        page = context.new_page()
        page.goto(f"{base}/login")
        page.fill("input[name=username]", facts["username"])
        page.fill("input[name=password]", "bench-pass-1")
        page.click("button.primary")
        page.wait_for_load_state("load")
        page.close()
        context.route(f"{base}/bare", lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8",
            body=bare_page(base, facts["slug"], facts["village"])))
        for slow in (False, True):
            label = (f"cheap phone (CPU /{SLOW_CPU}, 1.6 Mbit/s, 150 ms RTT)" if slow
                     else "phone viewport, loopback, full CPU")
            runs = [load(context, map_url, slow) for _ in range(RUNS)]
            bare = [load(context, f"{base}/bare", slow) for _ in range(RUNS)]
            ready = statistics.median(r["ready_ms"] for r in runs)
            bare_ready = statistics.median(r["ready_ms"] for r in bare)
            weight = runs[0]["bytes"]
            print(f"\n{label}, {RUNS} cold loads each:")
            print(f"  page weight {weight / 1024:.0f} KiB: " + ", ".join(
                f"{k} {v / 1024:.0f} KiB" for k, v in sorted(runs[0]["by_kind"].items(),
                                                              key=lambda kv: -kv[1])))
            spread = [r["ready_ms"] for r in runs]
            print(f"  map usable (1,000 pins drawn) after {ready:.0f} ms median "
                  f"(min {min(spread)}, max {max(spread)})")
            print(f"  bare Leaflet page with the same image and pins: {bare_ready:.0f} ms, "
                  f"{bare[0]['bytes'] / 1024:.0f} KiB; ratio {ready / bare_ready:.2f}x")
            print(f"  switch layer (recolour 1,000 pins): "
                  f"{statistics.median(r['layer_ms'] for r in runs):.0f} ms median")
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
