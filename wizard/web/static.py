"""Static files as a CDN serves them (WhiteNoise), and compressed pages (Flask-Compress).

At start-up `static/` is copied once into `<instance>/static-build/<digest of everything>/`,
scripts and style sheets minified (rjsmin, rcssmin: a third fewer bytes on the wire even after
Brotli; the repo keeps the readable source), each file under its own name AND a content-hashed
one of what is served (`wizard.3f2a1b9c0d4e.js`), then compressed once (gzip and Brotli files beside each, WhiteNoise's compressor). Pages link the
hashed names (`url_for('static', ...)` maps them, `hashed_url_defaults`), which are cached for a
year as immutable: a second screen fetches no static file again, and a changed file gets a new
name. The plain names keep working with a short cache, for what ISV pages link by name
(`/static/embed.js`). Several workers starting at once build the same folder; the first rename
wins, the others use it.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile

import rcssmin
import rjsmin
from flask import Flask, has_request_context, request
from flask_compress import Compress
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

HASH_LEN = 12
HASHED = re.compile(r"\.[0-9a-f]{%d}\.[A-Za-z0-9]+$" % HASH_LEN)
PLAIN_MAX_AGE = 300  # seconds: a plain name (embed.js on an ISV's page) is re-checked soon after a deploy
COMPRESSED_TYPES = ["text/html", "text/css", "text/plain", "application/json", "application/javascript",
                    "text/javascript", "image/svg+xml"]


def hashed_name(rel: str, digest: str) -> str:
    base, ext = os.path.splitext(rel)
    return f"{base}.{digest[:HASH_LEN]}{ext}"


def _files(folder: str) -> list[str]:
    out = []
    for root, _dirs, names in os.walk(folder):
        for name in names:
            out.append(os.path.relpath(os.path.join(root, name), folder).replace(os.sep, "/"))
    return sorted(out)


MINIFIERS = {".js": rjsmin.jsmin, ".css": rcssmin.cssmin}


def served(rel: str, content: bytes) -> bytes:
    """What is served for the file `rel`: scripts and style sheets minified (not those already
    minified, `*.min.js`), everything else as it is."""
    minify = MINIFIERS.get(os.path.splitext(rel)[1])
    if minify is None or ".min." in rel:
        return content
    return minify(content.decode("utf-8")).encode("utf-8")


def build(static_dir: str, out_root: str) -> tuple[str, dict[str, str]]:
    """The served folder and the manifest {name: hashed name}; built only when the files changed.
    The hash is of the bytes served, so a new minifier's output gets a new name too."""
    manifest, contents, whole = {}, {}, hashlib.sha256()
    for rel in _files(static_dir):
        with open(os.path.join(static_dir, rel), "rb") as f:
            contents[rel] = served(rel, f.read())
        digest = hashlib.sha256(contents[rel]).hexdigest()
        manifest[rel] = hashed_name(rel, digest)
        whole.update(f"{rel}\0{digest}\n".encode())
    target = os.path.join(out_root, whole.hexdigest()[:16])
    if not os.path.isdir(target):
        os.makedirs(out_root, exist_ok=True)
        tmp = tempfile.mkdtemp(dir=out_root, prefix=".building-")
        compressor = Compressor(quiet=True)
        for rel, hashed in manifest.items():
            for name in (rel, hashed):
                dest = os.path.join(tmp, name)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest, "wb") as f:
                    f.write(contents[rel])
                if compressor.should_compress(name):
                    compressor.compress(dest)
        try:
            os.rename(tmp, target)
        except OSError:  # another worker finished first: its folder is the same
            shutil.rmtree(tmp, ignore_errors=True)
    return target, manifest


def register(app: Flask):
    """Called by create_app (configure_web); gives back the answer's compression step."""
    root, manifest = build(app.static_folder, os.path.join(app.instance_path, "static-build"))
    app.extensions["static_manifest"] = manifest

    @app.url_defaults
    def hashed_url_defaults(endpoint, values):
        """url_for('static', filename=...) links the content-hashed name."""
        if endpoint == "static" and values.get("filename") in manifest:
            values["filename"] = manifest[values["filename"]]

    # The templates' url_for('static', filename=...) remembered per script root and file (three on
    # every page): the manifest is fixed for the app's life, so the URL is too. Bounded all the same.
    plain_url_for = app.jinja_env.globals["url_for"]
    static_urls: dict[tuple[str, str], str] = {}

    def url_for(endpoint, **values):
        if endpoint == "static" and len(values) == 1 and "filename" in values and has_request_context():
            key = (request.script_root, values["filename"])
            url = static_urls.get(key)
            if url is None:
                url = plain_url_for(endpoint, **values)
                if len(static_urls) < 256:
                    static_urls[key] = url
            return url
        return plain_url_for(endpoint, **values)

    app.jinja_env.globals["url_for"] = url_for

    app.wsgi_app = WhiteNoise(app.wsgi_app, root=root, prefix=app.static_url_path.strip("/") + "/",
                              max_age=PLAIN_MAX_AGE, immutable_file_test=lambda _path, url: bool(HASHED.search(url)),
                              add_headers_function=_nosniff)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)      # fast enough per request; static files are done once, at 11
    app.config.setdefault("COMPRESS_LEVEL", 6)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config["COMPRESS_REGISTER"] = False  # its hook runs as a step of the app's answer (`compressed`)
    compress = Compress(app)
    compressible = compress.compress_mimetypes_set

    def compressed(response, req, _held, present):
        """A step of the app's one after-request hook (wizard.answer_steps): Flask-Compress's hook,
        for the answers it may compress: the client accepts an encoding and the type is one
        compressed. To every other answer Flask-Compress only adds `Vary: Accept-Encoding`, done
        here without it: its hook reads the request's and the answer's headers through look-ups
        that raise and catch a KeyError for each name not there, about 7% of a request that does
        nothing (and wrk, like many API clients, asks for no encoding)."""
        if req.environ.get("HTTP_ACCEPT_ENCODING") and response.mimetype in compressible:
            return compress.after_request(response)
        vary = present.get("vary")
        if not vary:
            response.headers.add("Vary", "Accept-Encoding")
        elif "accept-encoding" not in vary.lower():
            response.headers["Vary"] = f"{vary}, Accept-Encoding"
        return response

    return compressed


def _nosniff(headers, _path, _url) -> None:
    headers["X-Content-Type-Options"] = "nosniff"
