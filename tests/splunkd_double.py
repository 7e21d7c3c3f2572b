"""A splunkd REST double: a real HTTP(S) server on 127.0.0.1 held to the contract splunklib and
solnlib rely on (the contract below), journaling every call.

Contract
--------
Namespaces: ``/servicesNS/<owner>/<app>/<endpoint>`` and ``/services/<endpoint>`` (one global
store; the owner/app only appear in the journal and in the entries' ``eai:acl``).

Every request must carry ``Authorization: Splunk <session_key>``; anything else → 401 with a
splunkd ``<response><messages><msg>`` body. Every response carries ``Content-Length`` and
``Connection: keep-alive`` — splunklib's own HTTP handler (the one solnlib uses when ``requests``
is not importable, as in the shipped ``lib/``) drops the unread body otherwise. Errors are
splunkd's XML ``<response><messages><msg type="ERROR">text</msg></messages></response>``.

Atom XML endpoints (``<feed>`` of ``<entry>`` with ``<title>``, ``<link rel="alternate">`` and
``<content><s:dict>`` including ``eai:acl``; ``opensearch:totalResults``):
  GET    properties/<conf>                     stanzas of a conf (existence probe; 404 unknown conf)
  GET    configs/conf-<conf>[/<stanza>]        stanzas with their keys; 404 unknown conf/stanza
  POST   configs/conf-<conf>   name=<stanza>   create a stanza (201; 409 if it exists)
  POST   configs/conf-<conf>/<stanza>          set keys (form body)
  DELETE configs/conf-<conf>/<stanza>
  GET    storage/passwords[?search=realm=<r>|<text>]
  POST   storage/passwords  name, password, realm    (201; 409 when realm:name exists)
  POST   storage/passwords/<realm:name:>  password   (update)
  DELETE storage/passwords/<realm:name:>
  GET    storage/collections/config[/<name>][?search=<text>]   (404 unknown collection)
  POST   storage/collections/config  name=<c>&field.<f>=<type>…   (201; 409 if it exists)
JSON endpoints (``storage/collections/data/<c>``; 404 unknown collection or key):
  GET    data/<c>[?query=<json>&sort=<f[:1|-1]>&limit=&skip=]   → list of documents
  GET    data/<c>/<key>                         → the document (with ``_key`` and ``_user``)
  POST   data/<c>            JSON document      → {"_key": key}   (insert; key generated if absent)
  POST   data/<c>/<key>      JSON document      → {"_key": key}   (update = replace)
  POST   data/<c>/batch_save JSON list          → list of keys
  POST   data/<c>/batch_find JSON list of {"query": …} → list of lists
  DELETE data/<c>/<key>  |  DELETE data/<c>[?query=<json>]
KV store switch: ``kvstore`` = "ready" | "unavailable" (every storage/collections call → 503
"KV Store is initializing") | "disabled" (→ 503 "KV Store is disabled") | "stalled" (every
storage/collections call hangs, without an answer, until the double stops).
A starting KV store (splunkd starts modular inputs before its KV store is ready): with
``kvstore_starting`` = N in the state, or after ``start_kvstore(N)``, every storage/collections call
in the first N seconds (after the double starts, or after the call) → 503 "KV Store is
initializing", then the ``kvstore`` switch applies.

Session keys (server.conf ``sessionTimeout``): with ``session_timeout`` = S in the state, a key
no call used for S seconds has expired; ``expire_session()`` expires it at once. A call with an
expired key → 401 "call not properly authenticated" (auth "expired" in the journal), as for a
wrong key. ``new_session()`` makes a fresh key (what splunkd hands a restarted input) and returns
it; the old key is refused from then on.

Secrets, the way UCC stores them (splunktaucclib ``RestCredentials`` + solnlib
``CredentialManager.set_password``, read back by solnlib ``ConfFile._decrypt_stanza``):
  * the conf stanza shows ``"******"`` for every non-empty encrypted field (an empty one stays "");
  * storage/passwords holds, in realm
    ``__REST_CREDENTIAL__#<app>#configs/conf-<conf>``, for username ``<stanza>`` the clear password
    ``json.dumps({<encrypted field>: <value>, …})`` split in 255-character chunks, stored as
    usernames ``<stanza>``splunk_cred_sep``1``, ``…2`` … plus one more holding solnlib's END_MARK;
    entry names are ``<realm>:<username>:`` (``:`` in realm/username escaped as ``\\:``).
  The double decrypts nothing: ``clear_password`` is what was stored (only splunkd can decrypt).

State (JSON seed, also what :func:`ucc_state` builds)::

    {"session_key": "K", "app": "TA_firepower_estreamer",
     "confs": {"<conf>": {"<stanza>": {"<key>": "<value>"}}},
     "passwords": {"<realm>": {"<username>": "<clear password>"}},   # whole values, chunked here
     "collections": {"<c>": {"fields": {"state": "string"}, "documents": [{"_key": …}]}},
     "kvstore": "ready",
     "kvstore_starting": 0,      # optional: seconds of "KV Store is initializing" after start
     "session_timeout": null}    # optional: seconds an unused session key stays valid

Journal: one JSON object per call, in order: ``{"method", "path" (full, decoded), "endpoint" (after
the namespace), "query" {name: value}, "body" (form dict | JSON | text; secrets masked),
"auth" ("ok" | "missing" | "bad" | "expired"), "status"}``.

Use in tests: the ``splunkd`` fixture (function scope, fresh :func:`ucc_state`), or
``with SplunkdDouble(state, tls=False) as d: d.uri``. As a process:
``python tests/splunkd_double.py --state STATE.json --journal JOURNAL.jsonl [--tls] [--port N]``
prints ``listening on 127.0.0.1:PORT`` (``https://`` scheme with ``--tls``) and serves until killed.
"""
import argparse
import copy
import datetime
import json
import os
import ssl
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, quote, unquote, urlsplit
from xml.sax.saxutils import escape

from threadserver import ThreadServer

APP = "TA_firepower_estreamer"
SESSION_KEY = "FAKE_SESSION_KEY"
SEP = "``splunk_cred_sep``"
END_MARK = "".join(SEP + c for c in "SPLUNK") + SEP
CHUNK = 255
ENCRYPTED = "******"
SECRET_KEYS = frozenset({"password", "clear_password", "encr_password", "pkcs12_file",
                         "pkcs12_password", "standby_pkcs12_file", "standby_pkcs12_password"})
FMC_CONF = "ta_firepower_estreamer_fmc_server"
SETTINGS_CONF = "ta_firepower_estreamer_settings"
COLLECTION = "TA_firepower_estreamer_checkpointer"
KV_MESSAGES = {"unavailable": "KV Store is initializing. Please try again later.",
               "disabled": "KV Store is disabled. Please enable it to use this feature."}


def realm_of(conf, app=APP):
    return "__REST_CREDENTIAL__#{}#configs/conf-{}".format(app, conf)


def ucc_state(servers=None, settings=None, app=APP, session_key=SESSION_KEY,
              encrypted=("pkcs12_file", "pkcs12_password", "standby_pkcs12_file",
                         "standby_pkcs12_password"), collections=None):
    """A seed state holding FMC server stanzas the way UCC writes them: ``servers`` is
    {stanza: {field: clear value}}, the ``encrypted`` fields go to storage/passwords as one JSON
    blob and show "******" in the conf; ``settings`` is {stanza: {key: value}}."""
    state = {"session_key": session_key, "app": app, "confs": {}, "passwords": {},
             "collections": copy.deepcopy(collections or {}), "kvstore": "ready"}
    if servers is not None:
        conf = state["confs"].setdefault(FMC_CONF, {})
        realm = realm_of(FMC_CONF, app)
        for stanza, fields in servers.items():
            plain = dict(fields)
            secret = {k: plain[k] for k in encrypted if plain.get(k)}
            for k in secret:
                plain[k] = ENCRYPTED
            conf[stanza] = plain
            if secret:
                state["passwords"].setdefault(realm, {})[stanza] = json.dumps(secret)
    if settings is not None:
        state["confs"][SETTINGS_CONF] = copy.deepcopy(settings)
    return state


def _mask(value, key=None):
    if key in SECRET_KEYS:
        return "<masked>"
    if isinstance(value, dict):
        return {k: _mask(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


def _name_escape(text):
    return text.replace(":", "\\:")


class _Store:
    """The double's state; every method runs under the server's lock."""

    def __init__(self, state):
        state = copy.deepcopy(state)
        self.session_key = state.get("session_key", SESSION_KEY)
        self.app = state.get("app", APP)
        self.confs = state.get("confs", {})
        self.kvstore = state.get("kvstore", "ready")
        self.kvstore_starting = float(state.get("kvstore_starting") or 0)
        self.kvstore_ready_at = 0.0  # monotonic time before which the KV store is initializing
        self.session_timeout = state.get("session_timeout")
        self.session_used = time.monotonic()
        self.session_expired = False
        # storage/passwords entries by name: {realm, username, clear_password}
        self.passwords = {}
        for realm, users in state.get("passwords", {}).items():
            for username, clear in users.items():
                self._store_chunked(realm, username, clear)
        self.collections = {}
        for name, spec in state.get("collections", {}).items():
            docs = {d["_key"]: dict(d) for d in spec.get("documents", [])}
            self.collections[name] = {"fields": dict(spec.get("fields", {})), "docs": docs}

    def session_valid(self, now):
        if self.session_expired:
            return False
        if self.session_timeout is not None and now - self.session_used > self.session_timeout:
            self.session_expired = True
            return False
        self.session_used = now
        return True

    def kvstore_mode(self, now):
        return "unavailable" if now < self.kvstore_ready_at else self.kvstore

    def _store_chunked(self, realm, username, clear):
        chunks = [clear[i:i + CHUNK] for i in range(0, len(clear), CHUNK)] + [END_MARK]
        for index, chunk in enumerate(chunks, 1):
            self.add_password(realm, "{}{}{}".format(username, SEP, index), chunk)

    def add_password(self, realm, username, clear):
        name = "{}:{}:".format(_name_escape(realm or ""), _name_escape(username))
        self.passwords[name] = {"realm": realm or "", "username": username,
                                "clear_password": clear}
        return name


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response has a Content-Length
    server_version = "Splunkd"
    sys_version = ""

    def log_message(self, *args):  # quiet: the journal is the record
        pass

    # -- plumbing -----------------------------------------------------------------------------
    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method):
        double = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        ctype = (self.headers.get("Content-Type") or "").lower()
        body = self._parse_body(raw, ctype)
        auth = self.headers.get("Authorization")
        if double.store.kvstore == "stalled" and "/storage/collections/" in path:
            double.stopping.wait(60)  # a splunkd that accepted the request and never answers
            return
        with double.lock:
            store = double.store
            if auth is None:
                auth_state = "missing"
            elif auth == "Splunk " + store.session_key:
                auth_state = "ok" if store.session_valid(time.monotonic()) else "expired"
            else:
                auth_state = "bad"
            owner, app, endpoint = self._namespace(parts.path)
            if auth_state != "ok":
                status, ctype_out, payload = self._error(401, "call not properly authenticated")
            else:
                try:
                    status, ctype_out, payload = self._route(
                        store, method, endpoint, query, body, owner or "nobody", app or store.app)
                except _Fail as fail:
                    status, ctype_out, payload = self._error(fail.status, fail.text)
            double.record({"method": method, "path": path, "endpoint": endpoint,
                           "query": query, "body": _mask(body), "auth": auth_state,
                           "status": status})
        data = payload.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype_out)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "keep-alive")
        self.end_headers()
        self.wfile.write(data)

    @staticmethod
    def _parse_body(raw, ctype):
        if not raw:
            return None
        text = raw.decode("utf-8")
        if "json" in ctype:
            try:
                return json.loads(text)
            except ValueError:
                return text
        return dict(parse_qsl(text, keep_blank_values=True))

    @staticmethod
    def _namespace(raw_path):
        """(owner, app, endpoint) with each segment of the endpoint URL-decoded."""
        segments = raw_path.strip("/").split("/")
        if segments[:1] == ["servicesNS"] and len(segments) >= 3:
            owner, app, rest = unquote(segments[1]), unquote(segments[2]), segments[3:]
        elif segments[:1] == ["services"]:
            owner, app, rest = None, None, segments[1:]
        else:
            owner, app, rest = None, None, segments
        return owner, app, "/".join(unquote(s) for s in rest if s != "")

    def _error(self, status, text):
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<response>\n  <messages>\n'
                '    <msg type="{}">{}</msg>\n  </messages>\n</response>\n').format(
                    "WARN" if status == 401 else "ERROR", escape(text))
        return status, "text/xml; charset=UTF-8", body

    # -- routing ------------------------------------------------------------------------------
    def _route(self, store, method, endpoint, query, body, owner, app):
        seg = endpoint.split("/")
        form = body if isinstance(body, dict) else {}
        if seg[0] == "properties" and len(seg) == 2 and method == "GET":
            conf = store.confs.get(seg[1])
            if conf is None:
                raise _Fail(404, "Could not find object id={}".format(seg[1]))
            return self._feed(seg[1], [(s, {}) for s in conf], "properties/" + seg[1], owner, app,
                              store)
        if seg[0] == "configs" and len(seg) >= 2 and seg[1].startswith("conf-"):
            return self._configs(store, method, seg[1][5:], "/".join(seg[2:]), form, owner, app)
        if seg[:2] == ["storage", "passwords"]:
            return self._passwords(store, method, "/".join(seg[2:]), query, form, owner, app)
        if seg[:2] == ["storage", "collections"]:
            mode = store.kvstore_mode(time.monotonic())
            if mode != "ready":
                raise _Fail(503, KV_MESSAGES.get(mode, KV_MESSAGES["unavailable"]))
            if len(seg) >= 3 and seg[2] == "config":
                return self._collections(store, method, "/".join(seg[3:]), query, form, owner,
                                         app)
            if len(seg) >= 4 and seg[2] == "data":
                return self._data(store, method, seg[3], "/".join(seg[4:]), query, body)
        raise _Fail(404, "Not Found: {}".format(endpoint))

    def _configs(self, store, method, conf_name, stanza, form, owner, app):
        base = "configs/conf-" + conf_name
        conf = store.confs.get(conf_name)
        if method == "POST" and not stanza:
            name = form.get("name")
            if not name:
                raise _Fail(400, "Missing name")
            conf = store.confs.setdefault(conf_name, {})
            if name in conf:
                raise _Fail(409, "An object with name={} already exists".format(name))
            conf[name] = {k: v for k, v in form.items() if k != "name"}
            return self._feed(conf_name, [(name, conf[name])], base, owner, app, store, 201)
        if conf is None:
            raise _Fail(404, "Could not find object id={}".format(conf_name))
        if not stanza:
            if method != "GET":
                raise _Fail(405, "Method not allowed")
            return self._feed(conf_name, sorted(conf.items()), base, owner, app, store)
        if stanza not in conf:
            raise _Fail(404, "Could not find object id={}".format(stanza))
        if method == "POST":
            conf[stanza].update(form)
        elif method == "DELETE":
            del conf[stanza]
            return self._feed(conf_name, [], base, owner, app, store)
        return self._feed(conf_name, [(stanza, conf[stanza])], base, owner, app, store)

    def _passwords(self, store, method, name, query, form, owner, app):
        base = "storage/passwords"
        if method == "GET" and not name:
            search = query.get("search", "")
            entries = []
            for key, pwd in sorted(store.passwords.items()):
                if search.startswith("realm="):
                    if pwd["realm"] != search[len("realm="):]:
                        continue
                elif search and search not in key:
                    continue
                entries.append((key, self._password_content(pwd)))
            return self._feed("passwords", entries, base, owner, app, store)
        if method == "POST" and not name:
            username, realm = form.get("name"), form.get("realm", "")
            if not username or "password" not in form:
                raise _Fail(400, "Missing name or password")
            key = "{}:{}:".format(_name_escape(realm), _name_escape(username))
            if key in store.passwords:
                raise _Fail(409, "An object with name={} already exists".format(key))
            store.add_password(realm, username, form["password"])
            return self._feed("passwords", [(key, self._password_content(store.passwords[key]))],
                              base, owner, app, store, 201)
        if name not in store.passwords:
            raise _Fail(404, "Could not find object id={}".format(name))
        if method == "POST":
            store.passwords[name]["clear_password"] = form.get("password", "")
        elif method == "DELETE":
            del store.passwords[name]
            return self._feed("passwords", [], base, owner, app, store)
        return self._feed("passwords", [(name, self._password_content(store.passwords[name]))],
                          base, owner, app, store)

    @staticmethod
    def _password_content(pwd):
        return {"clear_password": pwd["clear_password"], "encr_password": "$7$" + "x" * 16,
                "password": "********", "realm": pwd["realm"], "username": pwd["username"]}

    def _collections(self, store, method, name, query, form, owner, app):
        base = "storage/collections/config"
        if method == "POST" and not name:
            new = form.get("name")
            if not new:
                raise _Fail(400, "Missing name")
            if new in store.collections:
                raise _Fail(409, "An object with name={} already exists".format(new))
            fields = {k[len("field."):]: v for k, v in form.items() if k.startswith("field.")}
            store.collections[new] = {"fields": fields, "docs": {}}
            return self._feed("collections-conf", [(new, self._collection_content(
                store.collections[new]))], base, owner, app, store, 201)
        if method != "GET":
            raise _Fail(405, "Method not allowed")
        if name:
            if name not in store.collections:
                raise _Fail(404, "Could not find object id={}".format(name))
            names = [name]
        else:
            search = query.get("search", "")
            names = [n for n in sorted(store.collections) if search in n]
        return self._feed("collections-conf", [(n, self._collection_content(
            store.collections[n])) for n in names], base, owner, app, store)

    @staticmethod
    def _collection_content(collection):
        return {"field." + k: v for k, v in collection["fields"].items()}

    def _data(self, store, method, name, key, query, body):
        collection = store.collections.get(name)
        if collection is None:
            raise _Fail(404, "Could not find collection={}".format(name))
        docs = collection["docs"]
        if key == "batch_save" and method == "POST":
            if not isinstance(body, list):
                raise _Fail(400, "Request must be a JSON array")
            return self._json([self._save(docs, doc) for doc in body])
        if key == "batch_find" and method == "POST":
            if not isinstance(body, list):
                raise _Fail(400, "Request must be a JSON array")
            return self._json([self._find(docs, q.get("query") or {}, q) for q in body])
        if not key:
            if method == "GET":
                selector = json.loads(query["query"]) if query.get("query") else {}
                return self._json(self._find(docs, selector, query))
            if method == "POST":
                if not isinstance(body, dict):
                    raise _Fail(400, "Request must be a JSON object")
                return self._json({"_key": self._save(docs, body)})
            if method == "DELETE":
                selector = json.loads(query["query"]) if query.get("query") else {}
                for doc in self._find(docs, selector, {}):
                    del docs[doc["_key"]]
                return 200, "application/json; charset=UTF-8", ""
        if key not in docs and method != "POST":
            raise _Fail(404, "Could not find object.")
        if method == "GET":
            return self._json(docs[key])
        if method == "POST":
            if not isinstance(body, dict):
                raise _Fail(400, "Request must be a JSON object")
            return self._json({"_key": self._save(docs, dict(body, _key=key))})
        if method == "DELETE":
            del docs[key]
            return 200, "application/json; charset=UTF-8", ""
        raise _Fail(405, "Method not allowed")

    @staticmethod
    def _save(docs, doc):
        doc = dict(doc)
        key = doc.get("_key") or uuid.uuid4().hex[:24]
        doc["_key"], doc["_user"] = key, "nobody"
        docs[key] = doc
        return key

    @staticmethod
    def _find(docs, selector, options):
        found = [d for d in docs.values() if all(d.get(k) == v for k, v in selector.items())]
        sort = options.get("sort")
        if sort:
            field, _, direction = str(sort).partition(":")
            found.sort(key=lambda d: str(d.get(field, "")), reverse=direction == "-1")
        skip = int(options.get("skip") or 0)
        limit = int(options.get("limit") or 0)
        found = found[skip:]
        return found[:limit] if limit else found

    @staticmethod
    def _json(value):
        return 200, "application/json; charset=UTF-8", json.dumps(value)

    # -- Atom ---------------------------------------------------------------------------------
    def _feed(self, title, entries, base, owner, app, store, status=200):
        root = "{}://{}:{}".format(self.server.owner.scheme, *self.server.server_address[:2])
        ns_path = "/servicesNS/{}/{}/{}".format(quote(owner), quote(app), base)
        now = datetime.datetime.now(datetime.timezone.utc).isoformat()
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n'
               '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:s="http://dev.splunk.com/ns/rest"'
               ' xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">\n',
               "<title>{}</title>\n<id>{}{}</id>\n<updated>{}</updated>\n".format(
                   escape(title), root, escape(ns_path), now),
               '<generator build="double" version="9.3.0"/>\n<author><name>Splunk</name></author>\n',
               "<opensearch:totalResults>{}</opensearch:totalResults>\n".format(len(entries)),
               "<opensearch:itemsPerPage>30</opensearch:itemsPerPage>\n"
               "<opensearch:startIndex>0</opensearch:startIndex>\n<s:messages/>\n"]
        for name, content in entries:
            href = "{}/{}".format(ns_path, quote(name, safe=""))
            acl = {"app": app, "owner": owner, "sharing": "app", "can_write": "1",
                   "modifiable": "1", "removable": "0",
                   "perms": {"read": ["*"], "write": ["admin", "sc_admin"]}}
            body = dict(content)
            body.setdefault("disabled", "0")
            body["eai:acl"] = acl
            body["eai:appName"] = app
            body["eai:userName"] = owner
            out.append("<entry>\n<title>{}</title>\n<id>{}{}</id>\n<updated>{}</updated>\n"
                       '<link href="{}" rel="alternate"/>\n<author><name>{}</name></author>\n'
                       '<link href="{}" rel="list"/>\n<link href="{}" rel="edit"/>\n'
                       '<content type="text/xml">\n{}\n</content>\n</entry>\n'.format(
                           escape(name), root, escape(href), now, escape(href), escape(owner),
                           escape(href), escape(href), _sdict(body)))
        out.append("</feed>\n")
        return status, "text/xml; charset=UTF-8", "".join(out)


def _svalue(value):
    if isinstance(value, dict):
        return _sdict(value)
    if isinstance(value, (list, tuple)):
        return "<s:list>{}</s:list>".format(
            "".join("<s:item>{}</s:item>".format(_svalue(v)) for v in value))
    return escape("" if value is None else str(value))


def _sdict(values):
    return "<s:dict>{}</s:dict>".format("".join(
        '<s:key name="{}">{}</s:key>'.format(escape(k, {'"': "&quot;"}), _svalue(v))
        for k, v in sorted(values.items())))


class _Fail(Exception):
    def __init__(self, status, text):
        super().__init__(text)
        self.status, self.text = status, text


class SplunkdDouble(ThreadServer):
    """The server: ``start()``/``stop()`` or a context manager; ``uri``, ``journal``
    (list of calls), ``set_kvstore(mode)``, ``start_kvstore(seconds)``, ``expire_session()``,
    ``new_session()``, ``documents(collection)`` (a deep copy for assertions)."""

    handler = _Handler
    thread_name = "splunkd-double"

    def __init__(self, state=None, journal_path=None, tls=False, port=0):
        super().__init__(port=port, tls=tls)
        self.store = _Store(state if state is not None else ucc_state())
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.calls = []
        self.journal_path = journal_path
        self._tmp = None

    # -- lifecycle ----------------------------------------------------------------------------
    def _started(self):
        if self.store.kvstore_starting:
            self.start_kvstore(self.store.kvstore_starting)

    def _tls_context(self):
        self._tmp = tempfile.TemporaryDirectory()
        cert, key = _self_signed(self._tmp.name)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        return context

    def stop(self):
        self.stopping.set()
        super().stop()

    def _stopped(self):
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # -- for tests ----------------------------------------------------------------------------
    @property
    def uri(self):
        return self.base

    @property
    def session_key(self):
        return self.store.session_key

    @property
    def journal(self):
        with self.lock:
            return list(self.calls)

    def clear_journal(self):
        with self.lock:
            del self.calls[:]

    def set_kvstore(self, mode):
        assert mode in ("ready", "unavailable", "disabled", "stalled"), mode
        with self.lock:
            self.store.kvstore = mode

    def start_kvstore(self, seconds):
        """The KV store (re)starts: "KV Store is initializing" for the next ``seconds``."""
        with self.lock:
            self.store.kvstore_ready_at = time.monotonic() + seconds

    def expire_session(self):
        """The session key ages out now: every later call with it gets 401."""
        with self.lock:
            self.store.session_expired = True

    def new_session(self):
        """A fresh session key (the old one stays expired); returns it."""
        with self.lock:
            self.store.session_key = uuid.uuid4().hex
            self.store.session_expired = False
            self.store.session_used = time.monotonic()
            return self.store.session_key

    def documents(self, collection):
        with self.lock:
            spec = self.store.collections.get(collection)
            return copy.deepcopy(spec["docs"]) if spec else None

    def record(self, call):
        self.calls.append(call)
        if self.journal_path:
            with open(self.journal_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(call) + "\n")


def _self_signed(directory):
    """A throwaway certificate for 127.0.0.1 (splunkd's own certificate is self-signed too)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SplunkServerDefaultCert")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path = os.path.join(directory, "cert.pem")
    key_path = os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--state", help="seed state JSON (see the module docstring)")
    parser.add_argument("--journal", help="append one JSON line per call to this file")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS (self-signed)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    state = ucc_state()
    if args.state:
        with open(args.state, encoding="utf-8") as f:
            state = json.load(f)
    double = SplunkdDouble(state, journal_path=args.journal, tls=args.tls, port=args.port)
    double.start()
    print("listening on 127.0.0.1:{}".format(double.port), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        double.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
