"""One input's configuration, read the way splunkd hands it over.

splunkd starts the input with an XML document on stdin (server_uri, session_key, checkpoint_dir
and the input stanza's params; splunklib parses it into an ``InputDefinition``). Everything else
comes over splunkd's REST API through solnlib's ConfManager: the FMC server stanza from
``ta_firepower_estreamer_fmc_server.conf`` with its secrets decrypted from storage/passwords, and
``ta_firepower_estreamer_settings.conf`` ([logging], [advanced]).

splunkd's address is always taken from ``server_uri``: splunkd may listen on another scheme, host
or port than https://127.0.0.1:8089, and outside Splunk solnlib cannot discover it.
"""
from __future__ import annotations

import base64
import binascii
import io
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, TypeVar, Union
from urllib.parse import urlsplit

from estreamer.address import parse_address
from estreamer.generations import check_setting
from estreamer.pinning import normalize

from .app import APP, FMC_CONF, MASK, SETTINGS_CONF, flag, log_level
from .params import InputParams

RESPONSE_TIMEOUT = 30.0  # the FMC server's default, as on the Configuration page
CONNECT_TIMEOUT = 10.0
_Number = TypeVar("_Number", int, float)


def credential_realm(conf: str, app: str = APP) -> str:
    """The storage/passwords realm UCC's REST handlers use for a conf's encrypted fields."""
    return "__REST_CREDENTIAL__#{}#configs/conf-{}".format(app, conf)


@dataclass(frozen=True)
class InputConfig:
    """One stanza of the modular-input XML, with the splunkd connection it came with."""

    name: str  # the input's name, without "firepower_estreamer://"
    stanza: str  # "firepower_estreamer://<name>"
    params: Dict[str, str]
    server_uri: str
    server_host: str
    session_key: str = field(repr=False)
    checkpoint_dir: str
    app: str = APP

    @property
    def scheme(self) -> str:
        return urlsplit(self.server_uri).scheme

    @property
    def host(self) -> Optional[str]:
        return urlsplit(self.server_uri).hostname

    @property
    def port(self) -> Optional[int]:
        return urlsplit(self.server_uri).port

    def __repr__(self) -> str:
        return ("InputConfig(name={!r}, stanza={!r}, params={!r}, server_uri={!r}, "
                "server_host={!r}, session_key={!r}, checkpoint_dir={!r}, app={!r})").format(
                    self.name, self.stanza, self.params, self.server_uri, self.server_host,
                    MASK, self.checkpoint_dir, self.app)


@dataclass(frozen=True)
class FmcServer:
    """An FMC server stanza with its secrets in the clear (never shown by repr)."""

    name: str
    host: str
    port: int
    pkcs12: bytes
    pkcs12_password: str
    verify_server_cert: bool
    connect_timeout: float = CONNECT_TIMEOUT
    response_timeout: float = RESPONSE_TIMEOUT
    server_cert_sha256: str = ""  # the FMC certificate pinned for host ("" = none yet)
    generation: str = "auto"      # the event versions to ask for (estreamer.generations)
    # the standby FMC of an HA pair ("" = none); its PKCS12 only where the site issued its own
    standby_host: str = ""
    standby_port: int = 8302
    standby_pkcs12: bytes = b""
    standby_pkcs12_password: str = ""
    standby_server_cert_sha256: str = ""
    failover_after: float = 60.0
    failover_margin: float = 300.0

    def __repr__(self) -> str:
        return ("FmcServer(name={!r}, host={!r}, port={!r}, pkcs12=<{} bytes>, "
                "pkcs12_password={!r}, verify_server_cert={!r}, connect_timeout={!r}, "
                "response_timeout={!r}, server_cert_sha256={!r}, generation={!r}, "
                "standby_host={!r}, standby_port={!r}, standby_pkcs12=<{} bytes>, "
                "standby_pkcs12_password={!r}, standby_server_cert_sha256={!r}, "
                "failover_after={!r}, failover_margin={!r})").format(
                    self.name, self.host, self.port, len(self.pkcs12), MASK,
                    self.verify_server_cert, self.connect_timeout, self.response_timeout,
                    self.server_cert_sha256, self.generation, self.standby_host,
                    self.standby_port, len(self.standby_pkcs12),
                    MASK if self.standby_pkcs12_password else "",
                    self.standby_server_cert_sha256, self.failover_after, self.failover_margin)

    __str__ = __repr__


@dataclass(frozen=True)
class AdvancedSettings:
    """[advanced] of the settings conf; the defaults equal globalConfig.json's."""

    flush_interval: float = 1.0
    batch_size: int = 500
    metadata_cache_size: int = 100000
    health_interval: int = 60
    future_tolerance: float = 86400.0  # records stamped later than now + this never move the bookmark
    kvstore_wait: float = 300.0  # how long a starting input waits for a KV store that is not ready


@dataclass(frozen=True)
class Settings:
    """Everything one input runs with: its stanza, checked (``params``), its FMC server and
    the add-on's settings."""

    input: InputConfig
    fmc: FmcServer
    params: InputParams
    loglevel: str = "INFO"
    advanced: AdvancedSettings = field(default_factory=AdvancedSettings)


def parse_input_xml(text: Union[str, bytes]) -> List[InputConfig]:
    """The stanzas of splunkd's modular-input XML document (text or bytes)."""
    from splunklib.modularinput.input_definition import InputDefinition

    data = text.encode("utf-8") if isinstance(text, str) else text
    return input_configs(InputDefinition.parse(io.BytesIO(data)))


def input_configs(definition: Any, app: str = APP) -> List[InputConfig]:
    """:class:`InputConfig` per stanza of a splunklib ``InputDefinition`` (``metadata`` +
    ``inputs``), in stanza order."""
    meta = definition.metadata
    missing = [k for k in ("server_uri", "session_key") if not meta.get(k)]
    if missing:
        raise ValueError("the modular-input XML lacks {}: splunkd always sends them; "
                         "run the input from Splunk".format(", ".join(missing)))
    configs = []
    for stanza, params in definition.inputs.items():
        name = stanza.split("://", 1)[1] if "://" in stanza else stanza
        configs.append(InputConfig(
            name=name, stanza=stanza,
            params={k: ("" if v is None else str(v)) for k, v in params.items()},
            server_uri=meta["server_uri"], server_host=meta.get("server_host") or "",
            session_key=meta["session_key"], checkpoint_dir=meta.get("checkpoint_dir") or "",
            app=app))
    return configs


def _conf_manager(config: InputConfig, conf: str) -> Any:
    from solnlib import conf_manager

    return conf_manager.ConfManager(
        config.session_key, config.app, scheme=config.scheme, host=config.host,
        port=config.port, realm=credential_realm(conf, config.app))


def _value(stanza: Mapping[str, Any], key: str, default: str = "") -> str:
    value = stanza.get(key)
    return default if value is None else str(value).strip()


def _number(stanza: Mapping[str, Any], key: str, kind: Callable[[str], _Number],
            default: _Number, where: str) -> _Number:
    text = _value(stanza, key)
    if text == "":
        return default
    try:
        return kind(text)
    except ValueError:
        raise ValueError("{} = {!r} in {} is not a{} number; fix it on the add-on's "
                         "Configuration page".format(key, text, where,
                                                     "n integer" if kind is int else "")) from None


def read_fmc_server(config: InputConfig, server_name: str) -> FmcServer:
    """The FMC server stanza ``server_name`` with decrypted secrets; ValueError naming the fix."""
    from solnlib.soln_exceptions import ConfManagerException, ConfStanzaNotExistException

    where = "{}.conf".format(FMC_CONF)
    if not server_name:
        raise ValueError("input {!r} names no FMC server: pick one in its fmc_server "
                         "field".format(config.name))
    try:
        stanza = _conf_manager(config, FMC_CONF).get_conf(FMC_CONF).get(server_name)
    except (ConfManagerException, ConfStanzaNotExistException):
        raise ValueError(
            "FMC server [{}] is not in {} (input {!r} refers to it): add it under "
            "Configuration > FMC servers, or edit the input to pick an existing "
            "one".format(server_name, where, config.name)) from None

    pkcs12 = _pkcs12(stanza, "pkcs12_file", server_name, where)
    host = _value(stanza, "host")
    if not host:
        raise ValueError("FMC server [{}] in {} has no host: set it under Configuration > "
                         "FMC servers".format(server_name, where))
    label = "[{}] of {}".format(server_name, where)
    try:  # a hand-edited host may hold a port or IPv6 brackets
        host, port_in_host = parse_address(host)
        pin = normalize(_value(stanza, "server_cert_sha256"))
        generation = check_setting(_value(stanza, "generation"))
    except ValueError as e:
        raise ValueError("{}: {}; fix it under Configuration > FMC servers".format(
            label, e)) from None
    standby = _standby(stanza, server_name, where, label)
    return FmcServer(
        name=server_name, host=host,
        port=port_in_host or _number(stanza, "port", int, 8302, label),
        server_cert_sha256=pin,
        generation=generation,
        failover_after=_number(stanza, "failover_after", float, 60.0, label),
        failover_margin=_number(stanza, "failover_margin", float, 300.0, label),
        **standby,
        pkcs12=pkcs12,
        pkcs12_password=_value(stanza, "pkcs12_password"),
        verify_server_cert=flag(_value(stanza, "verify_server_cert"), True),
        connect_timeout=_number(stanza, "connect_timeout", float, CONNECT_TIMEOUT, label),
        response_timeout=_number(stanza, "response_timeout", float, RESPONSE_TIMEOUT, label))


def _pkcs12(stanza: Mapping[str, Any], key: str, server_name: str, where: str,
            required: bool = True) -> bytes:
    encoded = re.sub(r"\s+", "", _value(stanza, key))
    if not encoded and not required:
        return b""
    if not encoded or encoded == "******":
        raise ValueError("FMC server [{}] in {} has no {}PKCS12 client certificate: upload the "
                         ".pkcs12 file again under Configuration > FMC servers".format(
                             server_name, where, "" if key == "pkcs12_file" else "standby "))
    try:
        pkcs12 = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        pkcs12 = b""
    if not pkcs12:
        raise ValueError("FMC server [{}] in {}: the stored {}PKCS12 certificate is not valid "
                         "base64 (a damaged or non-PKCS12 upload): upload the .pkcs12 file "
                         "again under Configuration > FMC servers".format(
                             server_name, where, "" if key == "pkcs12_file" else "standby "))
    return pkcs12


def _standby(stanza: Mapping[str, Any], server_name: str, where: str,
             label: str) -> Dict[str, Any]:
    """The FmcServer fields of the stanza's standby FMC (none when standby_host is empty)."""
    text = _value(stanza, "standby_host")
    if not text:
        return {}
    try:
        host, port_in_host = parse_address(text)
        pin = normalize(_value(stanza, "standby_server_cert_sha256"))
    except ValueError as e:
        raise ValueError("{}: standby: {}; fix it under Configuration > FMC servers".format(
            label, e)) from None
    return dict(standby_host=host,
                standby_port=port_in_host or _number(stanza, "standby_port", int, 8302, label),
                standby_pkcs12=_pkcs12(stanza, "standby_pkcs12_file", server_name, where,
                                       required=False),
                standby_pkcs12_password=_value(stanza, "standby_pkcs12_password"),
                standby_server_cert_sha256=pin)


def read_global_settings(config: InputConfig) -> Tuple[str, AdvancedSettings]:
    """(loglevel, AdvancedSettings) from the settings conf; defaults for what is absent."""
    from solnlib.soln_exceptions import ConfManagerException, ConfStanzaNotExistException

    try:
        conf = _conf_manager(config, SETTINGS_CONF).get_conf(SETTINGS_CONF)
    except ConfManagerException:
        return "INFO", AdvancedSettings()

    def stanza(name: str) -> Mapping[str, Any]:
        try:
            return conf.get(name)
        except ConfStanzaNotExistException:
            return {}

    level = log_level(_value(stanza("logging"), "loglevel"))
    advanced = stanza("advanced")
    defaults = AdvancedSettings()
    label = "[advanced] of {}.conf".format(SETTINGS_CONF)
    return level, AdvancedSettings(
        flush_interval=_number(advanced, "flush_interval", float, defaults.flush_interval, label),
        batch_size=_number(advanced, "batch_size", int, defaults.batch_size, label),
        metadata_cache_size=_number(advanced, "metadata_cache_size", int,
                                    defaults.metadata_cache_size, label),
        health_interval=_number(advanced, "health_interval", int, defaults.health_interval,
                                label),
        future_tolerance=_number(advanced, "future_tolerance", float, defaults.future_tolerance,
                                 label),
        kvstore_wait=_number(advanced, "kvstore_wait", float, defaults.kvstore_wait, label))


def load_settings(config: InputConfig) -> Settings:
    """Everything one input needs, read through splunkd; ValueError naming the fix."""
    fmc = read_fmc_server(config, (config.params.get("fmc_server") or "").strip())
    params = InputParams.parse(config.params)
    loglevel, advanced = read_global_settings(config)
    return Settings(input=config, fmc=fmc, params=params, loglevel=loglevel, advanced=advanced)



__all__ = ["CONNECT_TIMEOUT", "RESPONSE_TIMEOUT", "AdvancedSettings", "FmcServer", "InputConfig",
           "Settings", "credential_realm", "input_configs", "load_settings",
           "parse_input_xml", "read_fmc_server", "read_global_settings"]
