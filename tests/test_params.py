"""An input's parameters, as splunkd hands them over (strings), parsed and checked once by
``estreamer_splunk.params``: what saving an input accepts is what its start runs with."""
import datetime
import json
import re

import pytest

from conftest import REPO_ROOT
from estreamer.wire import ALL_FAMILIES
from estreamer_splunk.params import InputParams, parse_device_list

BASE = {"fmc_server": "fmc1", "record_families": "connection"}


def input_entity(field):
    config = json.loads((REPO_ROOT / "globalConfig.json").read_text())
    (service,) = config["pages"]["inputs"]["services"]
    return {e["field"]: e for e in service["entity"]}[field]


# --- record families -----------------------------------------------------------------------------
def test_the_families_the_inputs_page_offers_are_the_client_librarys_in_its_order():
    entity = input_entity("record_families")
    assert tuple(item["value"] for item in entity["options"]["items"]) == ALL_FAMILIES


def test_the_inputs_page_pattern_accepts_exactly_the_client_librarys_families():
    pattern = re.compile(input_entity("record_families")["validators"][0]["pattern"])
    assert pattern.match("|".join(ALL_FAMILIES))
    assert all(pattern.match(family) for family in ALL_FAMILIES)
    assert not pattern.match("connection|user")


def test_families_are_read_in_the_order_given():
    params = InputParams.parse(dict(BASE, record_families="vpn|connection"))
    assert params.families == ("vpn", "connection")
    assert params.subscription().families == ("vpn", "connection")


def test_user_is_no_longer_a_family():
    with pytest.raises(ValueError, match="unknown value.*user"):
        InputParams.parse({"fmc_server": "fmc1", "record_families": "connection|user"})
    InputParams.parse({"fmc_server": "fmc1", "record_families": "identity|vpn"})


def test_no_family_at_all_is_refused():
    with pytest.raises(ValueError, match="record_families is empty: select at least one"):
        InputParams.parse(dict(BASE, record_families=""))


def test_an_input_without_an_fmc_server_is_refused():
    with pytest.raises(ValueError, match="fmc_server is required"):
        InputParams.parse(dict(BASE, fmc_server=" "))


# --- where a new input starts --------------------------------------------------------------------
@pytest.mark.parametrize("name", ["start_position", "start_date"])
def test_the_start_fields_say_that_an_existing_bookmark_wins(name):
    help_text = input_entity(name)["help"]
    assert re.search(r"(once|after) .*bookmark.*(resumes|ignored)", help_text, re.I), help_text


@pytest.mark.parametrize("position, start", [
    ("", "genesis"), ("bookmark", "genesis"), ("genesis", "genesis"), ("now", "now")])
def test_a_start_keyword_is_what_the_client_starts_from_without_a_bookmark(position, start):
    params = InputParams.parse(dict(BASE, start_position=position))
    assert params.start == start and params.start_position == (position or "bookmark")


@pytest.mark.parametrize("text", ["2024-01-31T00:00:00Z", "2024-01-31T00:00", "2024-01-31"])
def test_a_start_date_is_an_epoch_second_in_utc(text):
    params = InputParams.parse(dict(BASE, start_position="date", start_date=text))
    expected = datetime.datetime(2024, 1, 31, tzinfo=datetime.timezone.utc).timestamp()
    assert params.start == int(expected) == 1706659200


def test_a_date_start_without_a_date_is_refused():
    with pytest.raises(ValueError, match="start_position is 'date' but start_date is empty"):
        InputParams.parse(dict(BASE, start_position="date"))


def test_a_date_that_is_no_utc_time_names_the_form_to_use():
    with pytest.raises(ValueError, match="'31/01/2024' is not a UTC time such as "
                                         "2024-01-31T00:00:00Z"):
        InputParams.parse(dict(BASE, start_position="date", start_date="31/01/2024"))


def test_an_unknown_start_position_is_refused():
    with pytest.raises(ValueError, match="start_position 'later' is not one of bookmark"):
        InputParams.parse(dict(BASE, start_position="later"))


# --- booleans ------------------------------------------------------------------------------------
@pytest.mark.parametrize("word", ["1", "true", "True", "yes", "y", "t", "on", "ON"])
def test_every_true_word_of_a_conf_boolean_is_true_for_the_input_too(word):
    params = InputParams.parse(dict(BASE, packet_data=word, intrusion_extra_data=word,
                                    raw_unknown=word, si_split=word))
    assert (params.packets, params.extra_data, params.raw_unknown, params.si_split) == \
        (True, True, True, True)


@pytest.mark.parametrize("word", ["0", "false", "no", "n", "f", "off", "OFF"])
def test_every_false_word_is_false(word):
    params = InputParams.parse(dict(BASE, packet_data=word, si_split=word))
    assert (params.packets, params.si_split) == (False, False)


def test_empty_booleans_take_their_defaults():
    params = InputParams.parse(BASE)
    assert (params.packets, params.extra_data, params.raw_unknown, params.si_split) == \
        (False, False, False, True)


def test_a_word_that_is_no_boolean_names_the_field_and_the_words():
    with pytest.raises(ValueError, match=r"packet_data must be one of 1, true, t, yes, y, on "
                                         r"\(true\) or 0, false, f, no, n, off \(false\), "
                                         r"not 'maybe'"):
        InputParams.parse(dict(BASE, packet_data="maybe"))


def test_the_subscription_asks_for_packets_and_extra_data_as_set():
    subscription = InputParams.parse(dict(BASE, record_families="intrusion", packet_data="yes",
                                          intrusion_extra_data="0")).subscription()
    assert (subscription.packets, subscription.extra_data) == (True, False)


# --- managed devices -----------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("", []), (None, []), ("fw-1", ["fw-1"]), (" fw-1 , 42,", ["fw-1", "42"]),
    ("edge fw.dc1, 7a1b2c3d-0000-1111-2222-333344445555",
     ["edge fw.dc1", "7a1b2c3d-0000-1111-2222-333344445555"]),
])
def test_device_lists(text, expected):
    assert parse_device_list(text) == expected


@pytest.mark.parametrize("text", ["fw|1", "fw-1; fw-2", "x" * 256, "<script>"])
def test_bad_device_lists_are_refused(text):
    with pytest.raises(ValueError, match="device_deny has"):
        InputParams.parse(dict(BASE, device_deny=text))


def test_the_allow_and_deny_lists_are_sets():
    params = InputParams.parse(dict(BASE, device_allow="fw-1, 42", device_deny="fw-9"))
    assert params.device_allow == {"fw-1", "42"} and params.device_deny == {"fw-9"}


def test_a_device_in_both_lists_is_refused():
    with pytest.raises(ValueError, match="device.s. fw-2 are both included and excluded"):
        InputParams.parse(dict(BASE, device_allow="fw-1, fw-2", device_deny="fw-2"))


def test_the_parameters_cannot_be_changed_once_parsed():
    params = InputParams.parse(BASE)
    with pytest.raises(AttributeError):
        params.families = ("vpn",)
