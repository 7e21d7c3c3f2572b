"""REST handler of "Configuration > FMC servers": saving an FMC server checks it for real.

UCC wires it in (globalConfig.json, tab ``fmc_server``: ``restHandlerModule`` /
``restHandlerClass``): the generated ``bin/TA_firepower_estreamer_rh_fmc_server.py`` imports
``FmcServerHandler`` and hands it the endpoint model. On create and edit, before splunktaucclib
stores anything, the form is checked cheapest first — sizes and field patterns, then the
PKCS12's own layout (iteration counts), then the PKCS12 opened with its password, then the
client's connection test against host:port; a failure becomes the message of the dialog
(HTTP 400). A save that passes stores the host and port apart (the host field also takes
``host:port`` and ``[IPv6]:port``) and pins the certificate the FMC presented
(``server_cert_sha256``), unless one is pinned already: then the FMC must present that one.

``validate_fmc_server`` holds the checks and needs no splunkd, so it can be tested alone.
Runs on Splunk's Python (3.9 or 3.13): keep it 3.9-compatible.
"""
from __future__ import annotations

import base64
import binascii
import logging
import re
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from estreamer import diagnostics
from estreamer.address import parse_address
from estreamer.connection import IdentityError, load_identity
from estreamer.generations import check_setting
from estreamer.pinning import normalize

from .app import MASK, flag
from .settings import CONNECT_TIMEOUT, RESPONSE_TIMEOUT

try:
    from splunktaucclib.rest_handler.admin_external import AdminExternalHandler
    from splunktaucclib.rest_handler.error import RestError
except ImportError:  # outside splunkd (no splunk.admin): only the pure functions are usable
    AdminExternalHandler = None
    RestError = None

log = logging.getLogger("estreamer_splunk.fmc_server_handler")

SECRET_FIELDS = ("pkcs12_file", "pkcs12_password", "standby_pkcs12_file",
                 "standby_pkcs12_password")
PLACEHOLDERS = ("******", MASK)  # what splunktaucclib shows instead of a stored secret
INVALID_FILE = "##INVALID_FILE##"  # what the UCC file field sends for a wrong type or size
# Splunk Web gives up on splunkd after 30 s; the check may wait up to ~3 timeouts (TCP, TLS, stream)
MAX_CHECK_TIMEOUT = 8.0
MAX_PKCS12_BYTES = 64 * 1024  # an FMC's PKCS12 is 3-5 KB; the upload field allows 64 KB
# its base64, with room for a line break every 64 characters
MAX_PKCS12_TEXT = 4 * ((MAX_PKCS12_BYTES + 2) // 3) * 66 // 64
MAX_PASSWORD = 256
_NAME = re.compile(r"^[a-zA-Z]\w{0,99}$")

# Each address of an FMC server stanza, with the field that pins its certificate: pins are per
# address. The second row is the standby FMC of an HA pair (optional), checked and pinned like
# the first, with its own PKCS12 when the site issued one (else the primary's).
ADDRESSES = (("host", "port", "server_cert_sha256"),
             ("standby_host", "standby_port", "standby_server_cert_sha256"))
ROLES = {"host": "primary FMC", "standby_host": "standby FMC"}


def is_placeholder(value: Any) -> bool:
    return value in PLACEHOLDERS


def merge_with_stored(payload: Mapping[str, Any],
                      stored: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """The fields to validate on edit: the stored stanza (secrets in clear) overlaid with the
    payload, except secrets the form sent back as the masked placeholder."""
    fields = dict(stored or {})
    for key, value in payload.items():
        if key in SECRET_FIELDS and is_placeholder(value) and fields.get(key):
            continue
        fields[key] = value
    return fields


def _too_large(size: int) -> ValueError:
    return ValueError("the uploaded file is about {:,} KB; a PKCS12 from the FMC is a few KB "
                      "and at most 64 KB are accepted: upload the .pkcs12 file the FMC created "
                      "for this client".format(size // 1024))


def _check_pkcs12_size(text: Optional[str]) -> None:
    """Before anything reads the upload: a 20 MB file must cost nothing."""
    size = len(text or "")
    if size > MAX_PKCS12_TEXT:
        raise _too_large(size * 3 // 4)


def _decode_pkcs12(text: Optional[str]) -> bytes:
    text = "".join((text or "").split())
    if not text:
        raise ValueError("upload the PKCS12 file the FMC created for this client")
    if text == INVALID_FILE:
        raise ValueError("the uploaded file is not a .pkcs12/.p12 file of at most 64 KB: "
                         "upload the PKCS12 file the FMC created for this client")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the uploaded certificate is not base64-encoded: upload the PKCS12 "
                         "file again") from None
    if not data:
        raise ValueError("the uploaded PKCS12 file is empty: upload the file the FMC created")
    if len(data) > MAX_PKCS12_BYTES:
        raise _too_large(len(data))
    return data


def _number(fields: Mapping[str, Any], name: str, default: float, low: float, high: float,
            kind: Callable[[str], Any] = int) -> Any:
    raw = str(fields.get(name) if fields.get(name) not in (None, "") else default).strip()
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError("{} must be a number from {} to {}, not {!r}".format(
            name, low, high, raw)) from None
    if not low <= value <= high:
        raise ValueError("{} must be from {} to {}, not {}".format(name, low, high, raw))
    return value


def _connection_failure(report: Any) -> Optional[str]:
    """The verdict if the check failed for a reason the admin must fix; None if it passed.

    A connection that got as far as the stream but saw no (decodable) record in the short check
    window is fine to save: the FMC may simply be quiet.
    """
    if report.ok:
        return None
    failed = [step for step in getattr(report, "steps", None) or () if not step.ok]
    if failed and all(step.name == "records" for step in failed):
        return None
    return report.verdict or "the connection test against the FMC failed"


_Address = Tuple[str, int, str, Tuple[str, str, str]]


def _addresses(fields: Mapping[str, Any]) -> List[_Address]:
    """[(host, port, pin, pin field)] of the stanza's addresses; the port in ``host:port`` wins
    over the port field."""
    found = []
    for host_field, port_field, pin_field in ADDRESSES:
        if host_field != "host" and not (fields.get(host_field) or "").strip():
            continue  # an optional address left empty
        try:
            host, port = parse_address(fields.get(host_field))
        except ValueError as e:
            raise ValueError("{}: {}".format(host_field, e)) from None
        if port is None:
            port = _number(fields, port_field, 8302, 1, 65535)
        try:
            pin = normalize(fields.get(pin_field))
        except ValueError as e:
            raise ValueError("{}: {}".format(pin_field, e)) from None
        found.append((host, port, pin, (host_field, port_field, pin_field)))
    return found


def validate_fmc_server(fields: Mapping[str, Any],
                        diagnose: Optional[Callable[..., Any]] = None) -> Dict[str, str]:
    """Check an FMC server stanza before it is saved; raise ValueError with the dialog message.
    Returns the values to store instead of the form's: each address's host and port apart, and
    the fingerprint of the certificate each presented (or the one already pinned).

    ``fields`` are the form fields as strings (``pkcs12_file`` base64). If a secret is still the
    masked placeholder (an edit whose stored secret could not be read), the PKCS12 and connection
    checks are skipped: there is nothing to check them with. ``diagnose`` replaces the client's
    connection test (tests only).
    """
    # cheap checks first: nothing below reads the upload until its size and every pattern passed
    _check_pkcs12_size(fields.get("pkcs12_file"))
    _check_pkcs12_size(fields.get("standby_pkcs12_file"))
    name = fields.get("name")
    if name is not None and not _NAME.match(name):
        raise ValueError("the name {!r} must begin with a letter and have at most 100 letters, "
                         "digits and underscores".format(name))
    addresses = _addresses(fields)
    timeout = _number(fields, "connect_timeout", CONNECT_TIMEOUT, 1, 300, float)
    generation = check_setting(fields.get("generation") or "")
    _number(fields, "response_timeout", RESPONSE_TIMEOUT, 1, 3600, float)
    _number(fields, "failover_after", 60, 1, 86400, float)
    _number(fields, "failover_margin", 300, 0, 86400, float)
    for secret in ("pkcs12_password", "standby_pkcs12_password"):
        password = fields.get(secret) or ""
        if len(password) > MAX_PASSWORD and not is_placeholder(password):
            raise ValueError("the {} is longer than {} characters".format(
                "PKCS12 password" if secret == "pkcs12_password" else "standby's PKCS12 password",
                MAX_PASSWORD))
    if (fields.get("standby_pkcs12_file") or "").strip() and \
            not (fields.get("standby_host") or "").strip():
        raise ValueError("a standby PKCS12 was uploaded but no standby host is set: enter the "
                         "standby FMC's host, or remove the standby PKCS12")
    updates: Dict[str, str] = {}
    for host, port, pin, (host_field, port_field, pin_field) in addresses:
        updates.update({host_field: host, port_field: str(port), pin_field: pin})

    masked = [name for name in SECRET_FIELDS if is_placeholder(fields.get(name))]
    if masked:
        log.info("FMC server %s: %s not re-entered and not readable; PKCS12 and connection "
                 "checks skipped", fields.get("name") or addresses[0][0], " and ".join(masked))
        return updates
    identities = {"host": _identity(fields, "pkcs12_file", "pkcs12_password", "")}
    if (fields.get("standby_pkcs12_file") or "").strip():
        identities["standby_host"] = _identity(fields, "standby_pkcs12_file",
                                               "standby_pkcs12_password", "standby: ")

    connection_test = diagnose if diagnose is not None else diagnostics.diagnose
    verify = flag(str(fields.get("verify_server_cert", "1")))
    answered: List[str] = []
    failed: List[Tuple[str, str]] = []
    pins: Dict[str, str] = {}
    for host, port, pin, (host_field, _, pin_field) in addresses:
        pkcs12, password = identities.get(host_field, identities["host"])
        report = connection_test(host, port, pkcs12, password, verify=verify,
                                 timeout=min(timeout, MAX_CHECK_TIMEOUT),
                                 server_cert_sha256=pin, generation=generation)
        failure = _connection_failure(report)
        where = "the {} {}".format(ROLES[host_field], _address(host, port))
        if failure:
            failed.append((where, failure))
        else:
            answered.append(where)
            pins[pin_field] = pin or getattr(report, "server_cert_sha256", "") or ""
    if failed and len(addresses) == 1:
        raise ValueError(failed[0][1])
    if failed:  # an HA pair: say which FMC answered and why the other did not
        raise ValueError("; ".join(
            ["{} did not pass the connection test: {}".format(where, failure)
             for where, failure in failed] +
            ["{} answered".format(where) for where in answered]))
    if len(addresses) > 1:
        log.info("FMC server %s: connection test passed: %s answered",
                 fields.get("name") or addresses[0][0], " and ".join(answered))
    updates.update(pins)
    return updates


def _identity(fields: Mapping[str, Any], file_field: str, password_field: str,
              label: str) -> Tuple[bytes, str]:
    """(PKCS12 bytes, password) of an upload, opened once to check the password."""
    pkcs12 = _decode_pkcs12(fields.get(file_field))
    password = fields.get(password_field) or ""
    try:
        load_identity(pkcs12, password)
    except IdentityError as e:
        raise ValueError(label + str(e)) from None
    return pkcs12, password


def _address(host: str, port: int) -> str:
    return "[{}]:{}".format(host, port) if ":" in host else "{}:{}".format(host, port)



if AdminExternalHandler is not None:

    class FmcServerHandler(AdminExternalHandler):
        """splunktaucclib's handler, plus the checks of ``validate_fmc_server`` on save."""

        def handleCreate(self, confInfo: Any) -> Any:
            self.payload.update(self._check(dict(self.payload, name=self.callerArgs.id)))
            return super().handleCreate(confInfo)

        def handleEdit(self, confInfo: Any) -> Any:
            if self.payload.get("disabled") is None:
                stored = self._stored(self.callerArgs.id)
                self.payload.update(self._check(
                    merge_with_stored(dict(self.payload, name=self.callerArgs.id), stored)))
            return super().handleEdit(confInfo)

        def _stored(self, name: str) -> Dict[str, Any]:
            """The saved stanza with its secrets decrypted (splunktaucclib's ``--cred--`` read)."""
            for entity in self.handler.get(name, decrypt=True):
                return dict(entity.content)
            return {}

        @staticmethod
        def _check(fields: Mapping[str, Any]) -> Dict[str, str]:
            """The values to store in place of the form's (see ``validate_fmc_server``)."""
            try:
                return validate_fmc_server(fields)
            except ValueError as e:
                raise RestError(400, str(e)) from None
