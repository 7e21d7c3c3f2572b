"""One input's parameters (its stanza in inputs.conf), parsed and checked once.

splunkd hands the input its stanza as strings, twice: to ``validate_input`` when an admin
saves the input (a ValueError becomes the dialog's message) and on every start. Both go through
:meth:`InputParams.parse`, so what a save accepts is exactly what a start runs with: the record
families (``estreamer.wire.ALL_FAMILIES`` is the one list of them; globalConfig.json offers the
same, a test holds them equal), where a new input starts (a keyword, or a UTC date read into an
epoch second), the managed-device allow and deny sets, the rule action mapping and the
booleans (one vocabulary, :func:`estreamer_splunk.app.flag`). Runs on Splunk's Python 3.9.
"""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import FrozenSet, List, Mapping, Optional, Tuple, Union

from estreamer.events import MapperOptions
from estreamer.events.options import parse_rule_actions
from estreamer.wire import ALL_FAMILIES, Subscription

from .app import flag

START_POSITIONS = ("bookmark", "now", "genesis", "date")
# what the client starts from when the input has no bookmark yet
_CLIENT_START = {"bookmark": "genesis", "genesis": "genesis", "now": "now"}
_DATE_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d")
_DEVICE = re.compile(r"^[A-Za-z0-9_.: -]{1,255}$")


@dataclass(frozen=True)
class InputParams:
    """What one input asks for, checked. ``start`` is what the client starts from without a
    bookmark: ``"genesis"``, ``"now"`` or an epoch second (``start_position`` keeps the
    admin's choice, ``bookmark`` among them, for the log)."""

    fmc_server: str
    families: Tuple[str, ...]
    start_position: str = "bookmark"
    start: Union[str, int] = "genesis"
    index: str = "default"
    packets: bool = False
    extra_data: bool = False
    si_split: bool = True
    raw_unknown: bool = False
    rule_actions: Mapping[str, str] = field(default_factory=dict)
    device_allow: FrozenSet[str] = frozenset()
    device_deny: FrozenSet[str] = frozenset()

    @classmethod
    def parse(cls, params: Mapping[str, Optional[str]]) -> "InputParams":
        """The stanza's strings, checked; a ValueError names the field and the fix."""
        fmc_server = (params.get("fmc_server") or "").strip()
        if not fmc_server:
            raise ValueError("fmc_server is required: pick an FMC from Configuration > FMC "
                             "servers")
        families = parse_families(params.get("record_families"))
        position = (params.get("start_position") or "").strip() or "bookmark"
        if position not in START_POSITIONS:
            raise ValueError("start_position {!r} is not one of {}".format(
                position, ", ".join(START_POSITIONS)))
        date = (params.get("start_date") or "").strip()
        if position == "date" and not date:
            raise ValueError("start_position is 'date' but start_date is empty")
        epoch = int(parse_start_date(date).timestamp()) if date else None
        allow = parse_device_list(params.get("device_allow"), "device_allow")
        deny = parse_device_list(params.get("device_deny"), "device_deny")
        both = sorted(set(allow) & set(deny))
        if both:
            raise ValueError("device(s) {} are both included and excluded; remove them from "
                             "one list".format(", ".join(both)))
        return cls(
            fmc_server=fmc_server,
            families=families,
            start_position=position,
            start=epoch if position == "date" and epoch is not None else _CLIENT_START.get(
                position, "genesis"),
            index=(params.get("index") or "").strip() or "default",
            packets=flag(params.get("packet_data"), name="packet_data"),
            extra_data=flag(params.get("intrusion_extra_data"), name="intrusion_extra_data"),
            si_split=flag(params.get("si_split"), True, name="si_split"),
            raw_unknown=flag(params.get("raw_unknown"), name="raw_unknown"),
            rule_actions=parse_rule_actions(params.get("rule_actions")),
            device_allow=frozenset(allow), device_deny=frozenset(deny))

    def subscription(self) -> Subscription:
        """What to ask the FMC for (the event generation is the FMC server's to choose)."""
        return Subscription(families=self.families, packets=self.packets,
                            extra_data=self.extra_data)

    def mapper_options(self) -> MapperOptions:
        return MapperOptions(si_split=self.si_split, raw_unknown=self.raw_unknown,
                             rule_actions=self.rule_actions)


def parse_families(text: Optional[str]) -> Tuple[str, ...]:
    """``"connection|vpn"`` -> ``("connection", "vpn")``, each one of ``ALL_FAMILIES``."""
    families = tuple(f for f in (text or "").split("|") if f)
    if not families:
        raise ValueError("record_families is empty: select at least one record family")
    unknown = sorted(set(families) - set(ALL_FAMILIES))
    if unknown:
        raise ValueError("record_families has unknown value(s) {}; allowed: {}".format(
            ", ".join(unknown), ", ".join(ALL_FAMILIES)))
    return families


def parse_start_date(text: str) -> datetime.datetime:
    """The UTC ``datetime`` of ``2024-01-31[T00:00[:00]][Z]``; ValueError otherwise."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1]
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed.replace(tzinfo=datetime.timezone.utc)
    raise ValueError("start_date {!r} is not a UTC time such as 2024-01-31T00:00:00Z".format(
        text))


def parse_device_list(text: Optional[str], name: str = "device list") -> List[str]:
    """``"fw-1, 42 ,"`` -> ``["fw-1", "42"]``: managed device names or IDs, comma-separated.
    Empty items (a trailing comma) are ignored; an item that is no plausible device name or
    ID is a ValueError naming it."""
    items = [item.strip() for item in (text or "").split(",")]
    for item in items:
        if item and not _DEVICE.match(item):
            raise ValueError(
                "{} has {!r}: give managed device names or IDs separated by commas "
                "(letters, digits, spaces and . _ - : only)".format(name, item))
    return [item for item in items if item]


__all__ = ["START_POSITIONS", "InputParams", "parse_device_list", "parse_families",
           "parse_start_date"]
