"""Helper of the UCC-generated modular input ``bin/firepower_estreamer.py``.

UCC generates the input script from globalConfig.json (service ``firepower_estreamer``) and the
script delegates to ``validate_input`` and ``stream_events`` here. Runs on Splunk's Python
(3.9 or 3.13): keep it 3.9-compatible.
"""
import datetime
import re

RECORD_FAMILIES = (
    "connection", "intrusion", "file", "malware", "correlation", "identity", "vpn", "discovery",
)
START_POSITIONS = ("bookmark", "now", "genesis", "date")
BOOLEAN_PARAMS = ("packet_data", "intrusion_extra_data", "si_split", "raw_unknown")
_DATE_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d")
_BOOLEANS = ("", "0", "1", "true", "false")
_DEVICE = re.compile(r"^[A-Za-z0-9_.: -]{1,255}$")


def parse_start_date(text):
    """Return the UTC ``datetime`` for ``2024-01-31[T00:00[:00]][Z]``; ValueError otherwise."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1]
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed.replace(tzinfo=datetime.timezone.utc)
    raise ValueError(
        "start_date {!r} is not a UTC time such as 2024-01-31T00:00:00Z".format(text)
    )


def check_parameters(params):
    """Check one input's parameters (a dict of strings); raise ValueError naming the fix."""
    if not (params.get("fmc_server") or "").strip():
        raise ValueError("fmc_server is required: pick an FMC from Configuration > FMC servers")

    families = [f for f in (params.get("record_families") or "").split("|") if f]
    if not families:
        raise ValueError("record_families is empty: select at least one record family")
    unknown = sorted(set(families) - set(RECORD_FAMILIES))
    if unknown:
        raise ValueError(
            "record_families has unknown value(s) {}; allowed: {}".format(
                ", ".join(unknown), ", ".join(RECORD_FAMILIES)
            )
        )

    start = params.get("start_position") or "bookmark"
    if start not in START_POSITIONS:
        raise ValueError(
            "start_position {!r} is not one of {}".format(start, ", ".join(START_POSITIONS))
        )
    start_date = (params.get("start_date") or "").strip()
    if start == "date":
        if not start_date:
            raise ValueError("start_position is 'date' but start_date is empty")
        parse_start_date(start_date)
    elif start_date:
        parse_start_date(start_date)

    for name in BOOLEAN_PARAMS:
        if str(params.get(name) or "").strip().lower() not in _BOOLEANS:
            raise ValueError("{} must be 0 or 1, not {!r}".format(name, params.get(name)))

    from estreamer.events.options import parse_rule_actions  # the mapper's own reader
    parse_rule_actions(params.get("rule_actions"))

    allow = parse_device_list(params.get("device_allow"), "device_allow")
    deny = parse_device_list(params.get("device_deny"), "device_deny")
    both = sorted(set(allow) & set(deny))
    if both:
        raise ValueError(
            "device(s) {} are both included and excluded; remove them from one list".format(
                ", ".join(both)
            )
        )


def parse_device_list(text, name="device list"):
    """``"fw-1, 42 ,"`` -> ``["fw-1", "42"]``: managed device names or IDs, comma-separated.

    Empty items (a trailing comma) are ignored; anything else that is not a plausible device name
    or ID raises ValueError naming the item.
    """
    items = [item.strip() for item in (text or "").split(",")]
    for item in items:
        if item and not _DEVICE.match(item):
            raise ValueError(
                "{} has {!r}: give managed device names or IDs separated by commas "
                "(letters, digits, spaces and . _ - : only)".format(name, item)
            )
    return [item for item in items if item]


def validate_input(definition):
    """Called by splunkd (``--validate-arguments``) when an input is created or edited."""
    check_parameters(definition.parameters)


def stream_events(inputs, event_writer):
    """Called by splunkd (no arguments, the input's XML on stdin): runs until SIGTERM.
    splunkd starts one process per input (``use_single_instance = false``)."""
    from estreamer_splunk.runner import run_input
    from estreamer_splunk.settings import input_configs

    for config in input_configs(inputs):
        if run_input(config) != 0:
            raise RuntimeError("input {} stopped; see its log, {}".format(
                config.name, "ta_firepower_estreamer_{}.log".format(config.name)))
