"""Issue 11: static files under content-hashed names, compressed once, cached for a year as
immutable (WhiteNoise); pages compressed (Flask-Compress); the first screen's bytes on the wire."""
from __future__ import annotations

import gzip
import re

from wizard_support import Wizard, simple_solution

STATIC = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def test_pages_link_hashed_static_files_cached_for_a_year(client, core, user):
    wiz = Wizard(client, core, user)
    wiz.publish(simple_solution())
    wiz.open(wiz.instance("notes").id)
    assets = STATIC.findall(wiz.page)
    assert {re.sub(r"\.[0-9a-f]{12}\.", ".", a) for a in assets} >= {"/static/wizard.css", "/static/wizard.js"}
    for asset in assets:
        assert re.search(r"\.[0-9a-f]{12}\.(css|js|svg)$", asset), asset
        resp = client.get(asset, headers={"Accept-Encoding": "br, gzip"})
        assert resp.status_code == 200
        assert "immutable" in resp.headers["Cache-Control"] and "max-age=315360000" in resp.headers["Cache-Control"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        if not asset.endswith(".svg") or len(resp.data) > 200:
            assert resp.headers.get("Content-Encoding") == "br", asset  # compressed once, at start-up
    # the second screen links the same files: a browser fetches none of them again
    wiz.post({"channel": "#ops"})
    assert wiz.path.endswith("/screen/2") and set(STATIC.findall(wiz.page)) == set(assets)


def test_a_changed_file_gets_a_new_name_and_plain_names_still_work(client, app, tmp_path):
    from wizard.web.static import build

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.js").write_text("one")
    root1, manifest1 = build(str(src), str(tmp_path / "out"))
    (src / "a.js").write_text("two")
    root2, manifest2 = build(str(src), str(tmp_path / "out"))
    assert manifest1["a.js"] != manifest2["a.js"] and root1 != root2
    assert (tmp_path / "out" / root2 / manifest2["a.js"]).read_text() == "two"
    resp = client.get("/static/embed.js")  # what ISV pages link by name
    assert resp.status_code == 200 and "immutable" not in resp.headers["Cache-Control"]
    assert "max-age=300" in resp.headers["Cache-Control"]


def test_pages_are_compressed_and_the_first_screen_is_small(client, core, user):
    wiz = Wizard(client, core, user)
    wiz.publish(simple_solution())
    wiz.open(wiz.instance("notes").id)
    resp = client.get(wiz.path, headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200 and resp.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in resp.headers["Vary"]
    page = gzip.decompress(resp.data).decode()
    assert 'name="csrf_token"' in page
    total = len(resp.data) + sum(len(client.get(a, headers={"Accept-Encoding": "gzip"}).data)
                                 for a in STATIC.findall(page))
    assert total < 15 * 1024, total


def test_scripts_and_style_sheets_are_served_minified_under_the_hash_of_what_is_served(tmp_path):
    import hashlib

    from wizard.web.static import build

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.js").write_text("// why this is so\nfunction add(first, second) {\n  return first + second;\n}\n")
    (src / "a.css").write_text("/* a note */\nbody {\n  color: red;\n}\n")
    (src / "v.min.js").write_text("var  kept = 1; // as it came\n")
    root, manifest = build(str(src), str(tmp_path / "out"))
    out = tmp_path / "out" / root
    js = (out / manifest["a.js"]).read_text()
    assert js == "function add(first,second){return first+second;}" and (out / "a.js").read_text() == js
    assert (out / manifest["a.css"]).read_text() == "body{color:red}"
    assert (out / manifest["v.min.js"]).read_text() == "var  kept = 1; // as it came\n"  # left as it came
    assert manifest["a.js"] == f"a.{hashlib.sha256(js.encode()).hexdigest()[:12]}.js"
