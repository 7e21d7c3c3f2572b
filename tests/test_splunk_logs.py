"""estreamer_splunk.logs: the input's log file and the secret-masking filter."""
import base64
import logging

import pytest

from estreamer_splunk.logs import SecretMaskFilter, log_path, mask_filter, setup_logging

P12 = bytes(range(256)) * 4
B64 = base64.b64encode(P12).decode()


@pytest.fixture
def installed(tmp_path):
    root = logging.getLogger()
    level = root.level
    handler = setup_logging("in1", "DEBUG", directory=str(tmp_path), secrets=["s3cretpw", P12])
    yield handler
    root.removeHandler(handler)
    handler.close()
    root.setLevel(level)


def _text(handler):
    handler.flush()
    with open(handler.baseFilename, encoding="utf-8") as f:
        return f.read()


def test_file_name_and_place_under_splunk_home(monkeypatch):
    monkeypatch.delenv("TA_LOG_DIR", raising=False)
    monkeypatch.setenv("SPLUNK_HOME", "/opt/splunk")
    assert log_path("in 1") == "/opt/splunk/var/log/splunk/ta_firepower_estreamer_in_1.log"


def test_missing_splunk_home_names_the_fix(monkeypatch):
    monkeypatch.delenv("TA_LOG_DIR", raising=False)
    monkeypatch.delenv("SPLUNK_HOME", raising=False)
    with pytest.raises(ValueError, match="TA_LOG_DIR"):
        log_path("in1")


def test_lines_use_the_solnlib_format_at_the_configured_level(installed):
    logging.getLogger("estreamer.connection").debug("connected to %s", "fmc1")
    line = _text(installed).splitlines()[-1]
    assert "log_level=DEBUG" in line and "file=test_splunk_logs.py:" in line
    assert line.endswith("| connected to fmc1")


def test_level_filters_lower_records(tmp_path):
    level = logging.getLogger().level
    handler = setup_logging("in2", "WARNING", directory=str(tmp_path))
    try:
        logging.getLogger("estreamer_splunk.x").info("quiet")
        logging.getLogger("estreamer_splunk.x").warning("loud")
        assert "quiet" not in _text(handler) and "loud" in _text(handler)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
        logging.getLogger().setLevel(level)


def test_password_and_base64_never_reach_the_file(installed):
    log = logging.getLogger("estreamer_splunk.test")
    log.error("login with %s", "s3cretpw")
    log.warning("certificate " + B64)
    log.warning("certificate line " + B64[64:128])
    try:
        raise RuntimeError("bad blob " + B64)
    except RuntimeError:
        log.exception("failed")
    text = _text(installed)
    assert "s3cretpw" not in text and B64[64:128] not in text and B64[:40] not in text
    assert text.count("********") >= 4


def test_secrets_added_later_are_masked(installed):
    mask_filter(installed).add("later-secret")
    logging.getLogger("x").warning("value later-secret here")
    assert "later-secret" not in _text(installed)


def test_filter_leaves_ordinary_records_alone():
    f = SecretMaskFilter(["s3cretpw", ""])
    record = logging.LogRecord("n", logging.INFO, __file__, 1, "port %d open", (8302,), None)
    assert f.filter(record) and record.getMessage() == "port 8302 open" and record.args == (8302,)
