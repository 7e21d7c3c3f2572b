"""A stand-in for Splunk Web that serves the built UCC pages of the add-on to a browser.

It serves ``output/<app>/appserver`` of a real ucc-gen build as Splunk Web would
(``/en-US/app/<app>/<page>``, ``/en-US/static/@<build>/app/<app>/...``), stubs what the pages
load from Splunk itself (``config``, i18n, the layout chrome), and answers the UCC REST calls
under ``/en-US/splunkd/__raw/servicesNS/nobody/<app>/<restRoot>_<name>`` from an in-memory store:
GET lists (encrypted fields masked as ``******``, as splunktaucclib does), POST creates or edits,
DELETE removes. Every REST call is journaled (method, path, form) for assertions.

Validation hooks stand in for what splunkd runs on save: ``validators[<endpoint>](fields,
stored)`` raises ValueError, and the error reaches the browser in splunkd's format, which the
UCC dialog unwraps into its message. A hook may return a dict of field values: they are stored
in place of the form's, as the FMC-server handler puts them into its payload before
splunktaucclib stores it (host and port apart, the pinned certificate).
"""
import json
import pathlib
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler

from searchtime import read_conf
from threadserver import ThreadServer

LOCALE = "en-US"
BUILD = "1795373789"
PLACEHOLDER = "******"
SPLUNKD_PATH = "/{}/splunkd/__raw".format(LOCALE)

_CONTENT_TYPES = {
    ".js": "application/javascript", ".css": "text/css", ".html": "text/html",
    ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png",
    ".woff": "font/woff", ".woff2": "font/woff2", ".map": "application/json",
}

_I18N_JS = """
window._ = window.gettext = function (s) { return s; };
window.ungettext = function (s, p, n) { return n === 1 ? s : p; };
window.i18n_register = function () {};
"""

_LAYOUT_JS = """
window.__splunk_layout__ = {
  create: function () {
    var div = document.createElement('div');
    div.setAttribute('data-stub', 'splunk-layout');
    document.body.appendChild(div);
    return {getContainerElement: function () { return div; }, render: function () {},
            getLayoutElement: function () { return div; }};
  }
};
"""


def _splunkd_error(message):
    """The body splunkd returns when a python REST handler raises splunktaucclib's RestError."""
    text = ('Unexpected error "<class \'splunktaucclib.rest_handler.error.RestError\'>" from python '
            'handler: "REST Error [400]: Bad Request -- {}". See splunkd.log/python.log for more '
            'details.'.format(message))
    return {"messages": [{"type": "ERROR", "text": text}]}


class SplunkWebStub(ThreadServer):
    """``with SplunkWebStub(app_dir) as web: page.goto(web.url("configuration"))``."""

    def __init__(self, app_dir, validators=None, settings=None):
        self.app_dir = pathlib.Path(app_dir)
        self.app = self.app_dir.name
        config = json.loads(
            (self.app_dir / "appserver" / "static" / "js" / "build" / "globalConfig.json").read_text())
        self.rest_root = config["meta"]["restRoot"]
        self.encrypted = {}  # endpoint -> names of encrypted fields
        for tab in config["pages"]["configuration"]["tabs"]:
            self.encrypted["{}_{}".format(self.rest_root, tab["name"])] = {
                e["field"] for e in tab.get("entity", []) if e.get("encrypted")}
        for service in config["pages"].get("inputs", {}).get("services", []):
            self.encrypted["{}_{}".format(self.rest_root, service["name"])] = {
                e["field"] for e in service.get("entity", []) if e.get("encrypted")}
        self.validators = dict(validators or {})
        self.store = {name: {} for name in self.encrypted}
        self.store["{}_settings".format(self.rest_root)] = dict(
            settings if settings is not None else self._default_settings())
        self.journal = []
        self.lock = threading.Lock()
        super().__init__()

    def _default_settings(self):
        """The ``[logging]``/``[advanced]`` defaults of the built settings conf."""
        path = self.app_dir / "default" / "{}_settings.conf".format(self.rest_root.lower())
        if not path.exists():
            return {}
        return read_conf(path)

    # --- lifecycle: tests/threadserver.py ---------------------------------------------------
    @property
    def handler(self):
        return _Handler

    def url(self, page):
        return "{}/{}/app/{}/{}".format(self.base, LOCALE, self.app, page)

    def posts(self, endpoint):
        """The forms POSTed to ``<restRoot>_<endpoint>`` (create and edit), in order."""
        name = "{}_{}".format(self.rest_root, endpoint)
        with self.lock:
            return [c for c in self.journal
                    if c["method"] == "POST" and c["endpoint"] == name]

    # --- REST --------------------------------------------------------------------------------
    def rest(self, method, endpoint, stanza, form):
        """(status, JSON body) for one REST call to an endpoint of the add-on."""
        items = self.store.get(endpoint)
        if items is None:
            return 404, {"messages": [{"type": "ERROR", "text": "Not Found"}]}
        if method == "GET":
            if stanza:
                if stanza not in items:
                    return 404, {"messages": [{"type": "ERROR", "text": "Not Found"}]}
                return 200, self._entries(endpoint, [stanza])
            return 200, self._entries(endpoint, sorted(items))
        if method == "DELETE":
            items.pop(stanza, None)
            return 200, self._entries(endpoint, [])
        # POST: create (name in the form) or edit (name in the path)
        form = {k: v for k, v in form.items() if k != "output_mode"}
        name = stanza or form.pop("name", "")
        if not name:
            return 400, _splunkd_error("name is required")
        if not stanza and name in items:
            return 409, _splunkd_error("Name {} is already in use".format(name))
        stored = dict(items.get(name, {}))
        validator = self.validators.get(endpoint[len(self.rest_root) + 1:])
        updates = None
        if validator and form.get("disabled") is None:
            try:
                updates = validator(dict(form, name=name), stored if stanza else None)
            except ValueError as e:
                return 400, _splunkd_error(str(e))
        for key, value in dict(form, **(updates or {})).items():
            if key in self.encrypted.get(endpoint, ()) and value == PLACEHOLDER:
                continue  # the form sent the mask back: keep the stored secret
            stored[key] = value
        items[name] = stored
        return (200 if stanza else 201), self._entries(endpoint, [name])

    def _entries(self, endpoint, names):
        entries = []
        for name in names:
            content = dict(self.store[endpoint][name])
            for key in self.encrypted.get(endpoint, ()):
                if content.get(key):
                    content[key] = PLACEHOLDER
            content.setdefault("disabled", "0")
            entries.append({
                "name": name, "id": "{}/{}".format(endpoint, name), "content": content,
                "acl": {"app": self.app, "owner": "nobody", "sharing": "app",
                        "can_write": True, "removable": True},
            })
        return {"entry": entries, "paging": {"total": len(entries), "offset": 0}}


class _Handler(BaseHTTPRequestHandler):
    @property
    def web(self):
        """The :class:`SplunkWebStub` this request reached."""
        return self.server.owner
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, body, content_type="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _form(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        return {k: v[-1] for k, v in urllib.parse.parse_qs(raw, keep_blank_values=True).items()}

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method):
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        form = self._form() if method == "POST" else {}
        web = self.web
        if path.startswith(SPLUNKD_PATH + "/"):
            status, body = self._splunkd(method, path[len(SPLUNKD_PATH):], query, form)
            return self._send(status, body)
        if method != "GET":
            return self._send(405, {"messages": [{"type": "ERROR", "text": "stub: GET only"}]})
        if path == "/{}/config".format(LOCALE):
            return self._send(200, "window.$C = {};".format(json.dumps({
                "SPLUNKD_PATH": SPLUNKD_PATH, "LOCALE": LOCALE, "BUILD_NUMBER": int(BUILD),
                "BUILD_PUSH_NUMBER": 0, "MRSPARKLE_ROOT_PATH": "", "MRSPARKLE_PORT_NUMBER": 8000,
                "USERNAME": "admin", "USER_DISPLAYNAME": "Administrator", "VERSION_LABEL": "9.4.0",
                "SERVER_ZONEINFO": "", "APP": web.app, "UI_INACTIVITY_TIMEOUT": 60,
                "FORM_KEY": "stub", "IS_CLOUD": False,
            })), "application/javascript")
        if path == "/{}/i18ncatalog".format(LOCALE):
            return self._send(200, "", "application/javascript")
        match = re.match(r"^/{}/app/([^/]+)/([^/]+)/?$".format(LOCALE), path)
        if match and match.group(1) == web.app:
            page = web.app_dir / "appserver" / "templates" / "base.html"
            return self._send(200, page.read_bytes(), "text/html; charset=utf-8")
        match = re.match(r"^/{}/static/(?:@[^/]+/)?(.*)$".format(LOCALE), path)
        if match:
            rest = match.group(1)
            if rest == "js/i18n.js":
                return self._send(200, _I18N_JS, "application/javascript")
            if rest.startswith("build/api/layout"):
                return self._send(200, _LAYOUT_JS, "application/javascript")
            prefix = "app/{}/".format(web.app)
            if rest.startswith(prefix):
                root = (web.app_dir / "appserver" / "static").resolve()
                file = (root / rest[len(prefix):]).resolve()
                if root in file.parents and file.is_file():
                    return self._send(200, file.read_bytes(),
                                      _CONTENT_TYPES.get(file.suffix, "application/octet-stream"))
        return self._send(404, "not found: " + path, "text/plain")

    def _splunkd(self, method, path, query, form):
        web = self.web
        entry = {"method": method, "path": path, "query": query, "form": form,
                 "endpoint": None, "stanza": None}
        if path.rstrip("/").endswith("/data/indexes"):
            status, body = 200, {"entry": [
                {"name": name, "content": {"isInternal": False, "disabled": False}, "acl": {}}
                for name in ("default", "main", "firepower")]}
        else:
            match = re.match(r"^/servicesNS/[^/]+/{}/({}_[A-Za-z0-9_]+)(?:/([^/]+))?/?$".format(
                re.escape(web.app), re.escape(web.rest_root)), path)
            if match:
                entry["endpoint"], entry["stanza"] = match.group(1), match.group(2)
                with web.lock:
                    status, body = web.rest(method, match.group(1), match.group(2), form)
            else:
                status, body = 404, {"messages": [{"type": "ERROR", "text": "stub: not stubbed"}]}
        entry["status"] = status
        with web.lock:
            web.journal.append(entry)
        return status, body
