"""estreamer_splunk.settings: one input's configuration through solnlib against the splunkd double."""
import base64

import pytest

from estreamer_splunk import settings
from splunkd_double import SplunkdDouble, ucc_state

P12 = bytes(range(256)) * 3


def _xml(uri, params=None, name="fmc_in"):
    params = dict({"fmc_server": "fmc1", "index": "main", "record_families": "connection"},
                  **(params or {}))
    body = "".join('<param name="{}">{}</param>'.format(k, v) for k, v in params.items())
    return ("<input><server_host>sh1</server_host><server_uri>{}</server_uri>"
            "<session_key>FAKE_SESSION_KEY</session_key><checkpoint_dir>/tmp/ck</checkpoint_dir>"
            "<configuration><stanza name=\"firepower_estreamer://{}\" app=\"TA_firepower_estreamer\">"
            "{}</stanza></configuration></input>").format(uri, name, body)


def _server(**extra):
    fields = {"host": "fmc.example.test", "port": "8302",
              "pkcs12_file": base64.b64encode(P12).decode(), "pkcs12_password": "s3cret",
              "verify_server_cert": "1", "connect_timeout": "5", "response_timeout": "30"}
    fields.update(extra)
    return fields


@pytest.fixture
def double():
    state = ucc_state({"fmc1": _server()}, settings={
        "logging": {"loglevel": "DEBUG"},
        "advanced": {"flush_interval": "0.5", "batch_size": "500",
                     "metadata_cache_size": "2000", "health_interval": "30"}})
    with SplunkdDouble(state) as d:
        yield d


def test_xml_gives_the_input_and_splunkd_address(double):
    (config,) = settings.parse_input_xml(_xml(double.uri))
    assert config.name == "fmc_in" and config.stanza == "firepower_estreamer://fmc_in"
    assert config.params["fmc_server"] == "fmc1" and config.checkpoint_dir == "/tmp/ck"
    assert (config.scheme, config.host, config.port) == ("http", "127.0.0.1", double.port)


def test_fmc_server_with_decrypted_secrets(double):
    (config,) = settings.parse_input_xml(_xml(double.uri))
    s = settings.load_settings(config)
    assert s.fmc.host == "fmc.example.test" and s.fmc.port == 8302
    assert s.fmc.pkcs12 == P12 and s.fmc.pkcs12_password == "s3cret"
    assert s.fmc.verify_server_cert is True
    assert (s.fmc.connect_timeout, s.fmc.response_timeout) == (5.0, 30.0)


def test_logging_and_advanced_settings(double):
    (config,) = settings.parse_input_xml(_xml(double.uri))
    s = settings.load_settings(config)
    assert s.loglevel == "DEBUG"
    assert s.advanced == settings.AdvancedSettings(0.5, 500, 2000, 30)


def test_future_tolerance_and_kvstore_wait_come_from_advanced():
    state = ucc_state({"fmc1": _server()}, settings={
        "advanced": {"future_tolerance": "3600", "kvstore_wait": "45"}})
    with SplunkdDouble(state) as d:
        (config,) = settings.parse_input_xml(_xml(d.uri))
        advanced = settings.load_settings(config).advanced
    assert (advanced.future_tolerance, advanced.kvstore_wait) == (3600.0, 45.0)
    defaults = settings.AdvancedSettings()
    assert (defaults.future_tolerance, defaults.kvstore_wait) == (86400.0, 300.0)


def test_defaults_when_settings_conf_is_absent():
    with SplunkdDouble(ucc_state({"fmc1": _server()})) as d:
        (config,) = settings.parse_input_xml(_xml(d.uri))
        s = settings.load_settings(config)
    assert s.loglevel == "INFO" and s.advanced == settings.AdvancedSettings()


def test_splunkd_address_comes_from_server_uri_never_a_default(double):
    (config,) = settings.parse_input_xml(_xml(double.uri))
    settings.load_settings(config)
    assert double.journal and all(c["auth"] == "ok" for c in double.journal)
    assert any(c["endpoint"] == "storage/passwords" for c in double.journal)


def test_secrets_are_masked_in_repr(double):
    (config,) = settings.parse_input_xml(_xml(double.uri))
    s = settings.load_settings(config)
    text = repr(s) + str(s.fmc) + repr(config)
    assert "s3cret" not in text and "FAKE_SESSION_KEY" not in text
    assert base64.b64encode(P12).decode()[:40] not in text and repr(P12)[:40] not in text
    assert "<768 bytes>" in repr(s.fmc)


def test_missing_fmc_stanza_names_it_and_the_fix(double):
    (config,) = settings.parse_input_xml(_xml(double.uri, {"fmc_server": "fmc9"}))
    with pytest.raises(ValueError) as err:
        settings.load_settings(config)
    message = str(err.value)
    assert "[fmc9]" in message and "ta_firepower_estreamer_fmc_server.conf" in message
    assert "Configuration > FMC servers" in message


def test_missing_fmc_conf_is_the_same_error():
    with SplunkdDouble(ucc_state()) as d:
        (config,) = settings.parse_input_xml(_xml(d.uri))
        with pytest.raises(ValueError, match=r"\[fmc1\] is not in"):
            settings.load_settings(config)


def test_undecodable_pkcs12_names_the_stanza_and_the_fix():
    with SplunkdDouble(ucc_state({"fmc1": _server(pkcs12_file="not base64 at all!")})) as d:
        (config,) = settings.parse_input_xml(_xml(d.uri))
        with pytest.raises(ValueError) as err:
            settings.load_settings(config)
    assert "[fmc1]" in str(err.value) and "upload the .pkcs12 file again" in str(err.value)
    assert "not base64" not in str(err.value)  # the (secret) value itself is never echoed


def test_empty_password_and_defaults_of_the_server_stanza():
    server = {"host": "h", "pkcs12_file": base64.b64encode(P12).decode(), "pkcs12_password": ""}
    with SplunkdDouble(ucc_state({"fmc1": server})) as d:
        (config,) = settings.parse_input_xml(_xml(d.uri))
        fmc = settings.load_settings(config).fmc
    assert fmc.pkcs12_password == "" and fmc.port == 8302 and fmc.verify_server_cert is True


def _fmc(**stanza):
    with SplunkdDouble(ucc_state({"fmc1": _server(**stanza)})) as d:
        (config,) = settings.parse_input_xml(_xml(d.uri))
        return settings.load_settings(config).fmc


def test_the_pinned_fmc_certificate_is_read_in_canonical_form():
    fmc = _fmc(server_cert_sha256="ab" * 32)
    assert fmc.server_cert_sha256 == ":".join(["AB"] * 32)
    assert _fmc().server_cert_sha256 == ""


def test_a_damaged_pin_names_the_stanza_and_the_fix():
    with pytest.raises(ValueError) as err:
        _fmc(server_cert_sha256="AB:CD")
    message = str(err.value)
    assert message.startswith("[fmc1] of ta_firepower_estreamer_fmc_server.conf: 'AB:CD'")
    assert "is not a SHA-256 fingerprint" in message
    assert message.endswith("fix it under Configuration > FMC servers")


@pytest.mark.parametrize("host, expected", [
    ("[2001:db8::7]", ("2001:db8::7", 8302)),  # as the earlier host pattern let it be saved
    ("fmc.example.test:9000", ("fmc.example.test", 9000)),  # a hand-edited conf
])
def test_a_host_holding_brackets_or_a_port_is_read_apart(host, expected):
    fmc = _fmc(host=host)
    assert (fmc.host, fmc.port) == expected


def test_the_pin_reaches_the_client_configuration(double):
    from estreamer_splunk.runner import client_config
    (config,) = settings.parse_input_xml(_xml(double.uri, {"record_families": "connection"}))
    s = settings.load_settings(config)
    fmc = s.fmc.__class__(**dict(s.fmc.__dict__, server_cert_sha256=":".join(["AB"] * 32)))
    client = client_config(settings.Settings(input=s.input, fmc=fmc, params=s.params,
                                                advanced=s.advanced))
    assert client.server_cert_sha256 == ":".join(["AB"] * 32)


def test_the_event_generation_is_read_and_defaults_to_auto():
    assert _fmc().generation == "auto"
    assert _fmc(generation="6.2").generation == "6.2"


def test_an_unknown_event_generation_names_the_stanza_the_choices_and_the_fix():
    with pytest.raises(ValueError) as err:
        _fmc(generation="5.4")
    message = str(err.value)
    assert message.startswith("[fmc1] of ta_firepower_estreamer_fmc_server.conf: generation")
    assert "auto, 7.0, 6.2, 6.0" in message and message.endswith("Configuration > FMC servers")


def test_the_event_generation_reaches_the_client_configuration(double):
    from estreamer_splunk.runner import client_config
    (config,) = settings.parse_input_xml(_xml(double.uri, {"record_families": "connection"}))
    s = settings.load_settings(config)
    assert client_config(s).generation == "auto"
    fmc = s.fmc.__class__(**dict(s.fmc.__dict__, generation="6.0"))
    client = client_config(settings.Settings(input=s.input, fmc=fmc, params=s.params,
                                                advanced=s.advanced))
    assert client.generation == "6.0"


# --- the standby FMC of an HA pair -----------------------------------------------------------

def test_a_server_without_a_standby_has_none():
    fmc = _fmc()
    assert fmc.standby_host == "" and fmc.standby_pkcs12 == b""
    assert (fmc.failover_after, fmc.failover_margin) == (60.0, 300.0)


def test_the_standby_is_read_with_its_own_pin_and_the_failover_timings():
    fmc = _fmc(standby_host="[2001:db8::8]:9302", standby_server_cert_sha256="cd" * 32,
               failover_after="5", failover_margin="120")
    assert (fmc.standby_host, fmc.standby_port) == ("2001:db8::8", 9302)
    assert fmc.standby_server_cert_sha256 == ":".join(["CD"] * 32)
    assert fmc.standby_pkcs12 == b""  # the primary's PKCS12 serves both
    assert (fmc.failover_after, fmc.failover_margin) == (5.0, 120.0)


def test_a_standby_pkcs12_of_its_own_is_read_from_encrypted_storage():
    other = b"another pkcs12"
    fmc = _fmc(standby_host="fmc2.example.test", standby_port="8302",
               standby_pkcs12_file=base64.b64encode(other).decode(),
               standby_pkcs12_password="standby secret")
    assert fmc.standby_pkcs12 == other and fmc.standby_pkcs12_password == "standby secret"
    assert "standby secret" not in repr(fmc) and "another" not in repr(fmc)


def test_a_damaged_standby_host_names_the_stanza_and_the_fix():
    with pytest.raises(ValueError) as err:
        _fmc(standby_host="https://fmc2/")
    assert str(err.value).startswith("[fmc1] of ta_firepower_estreamer_fmc_server.conf: "
                                     "standby: 'https://fmc2/' is not an address")


def test_the_standby_and_the_failover_timings_reach_the_client_configuration(double):
    from estreamer_splunk.runner import client_config
    (config,) = settings.parse_input_xml(_xml(double.uri, {"record_families": "connection"}))
    s = settings.load_settings(config)
    fmc = s.fmc.__class__(**dict(s.fmc.__dict__, standby_host="10.0.0.2", standby_port=9302,
                                 standby_server_cert_sha256=":".join(["CD"] * 32),
                                 failover_after=5.0, failover_margin=120.0))
    client = client_config(settings.Settings(input=s.input, fmc=fmc, params=s.params,
                                                advanced=s.advanced))
    assert (client.standby.host, client.standby.port) == ("10.0.0.2", 9302)
    assert client.standby.server_cert_sha256 == ":".join(["CD"] * 32)
    assert client.standby.pkcs12 == b""  # the primary's serves both
    assert (client.failover_after, client.failover_margin) == (5.0, 120.0)
    assert client_config(s).standby is None
