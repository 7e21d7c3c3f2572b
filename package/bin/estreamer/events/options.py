"""Site settings of the mappers: what only a site's FMC or its local policy can decide."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

CIM_TRAFFIC_ACTIONS = ("allowed", "blocked", "teardown")  # Network_Traffic's expected values
ENDPOINT_ADDRESSES = ("source", "destination")


@dataclass(frozen=True)
class MapperOptions:
    """
    emit_metadata:  map metadata records too (sourcetype ``…:metadata``); off by default.
    raw_unknown:    map records the decoder could not read (unknown record type or block
                    version) to events carrying ``rec_type`` and the record's ``raw`` hex.
    si_split:       mark Security Intelligence connections with ``si_event=1`` (their own event
                    type); off leaves the SI context fields but no marker.
    rule_actions:   CIM ``action`` (allowed, blocked, teardown) per access-control rule action
                    *name*, over the rule action table and the recorded-action rule (case does not
                    matter), e.g. ``{"Default Action": "blocked"}`` at a site whose default
                    action blocks everything (:func:`parse_rule_actions` reads the input's
                    "Rule action mapping" text).
    rule_action_names: names for rule action ids the FMC has not named (record 120), e.g.
                    ``{2: "Allow"}``; the FMC's own names always win.
    endpoint_address: which address of an AMP for Endpoints malware event (record 125) is the
                    endpoint when both are set: ``source`` or ``destination`` (no real FMC seen yet).
    clock:          the time of records that carry none (metadata), as epoch seconds.
    """

    emit_metadata: bool = False
    raw_unknown: bool = False
    si_split: bool = True
    rule_actions: Mapping[str, str] = field(default_factory=dict)
    rule_action_names: Mapping[int, str] = field(default_factory=dict)
    endpoint_address: str = "source"
    clock: Callable[[], float] = time.time

    def __post_init__(self):
        for name, action in self.rule_actions.items():
            if action not in CIM_TRAFFIC_ACTIONS:
                raise ValueError(f"rule action {name!r}: {action!r} is not one of "
                                 f"{', '.join(CIM_TRAFFIC_ACTIONS)}")
        if self.endpoint_address not in ENDPOINT_ADDRESSES:
            raise ValueError(f"endpoint_address must be one of {', '.join(ENDPOINT_ADDRESSES)}")
        # The rule action table matches names without case; so do the overrides.
        object.__setattr__(self, "rule_actions",
                           {name.lower(): action for name, action in self.rule_actions.items()})


def parse_rule_actions(text) -> dict:
    """``Default Action=blocked, Monitor=allowed`` → ``{"Default Action": "blocked", …}`` (the
    input's "Rule action mapping"); a clear ValueError names what is wrong."""
    mapping = {}
    for item in (text or "").replace(";", ",").split(","):
        if not item.strip():
            continue
        name, separator, action = item.partition("=")
        name, action = name.strip(), action.strip().lower()
        if not separator or not name:
            raise ValueError(f"rule action mapping {item.strip()!r}: write <rule action>=<"
                             f"{'|'.join(CIM_TRAFFIC_ACTIONS)}>, e.g. Default Action=blocked")
        if action not in CIM_TRAFFIC_ACTIONS:
            raise ValueError(f"rule action mapping {item.strip()!r}: {action!r} is not one of "
                             f"{', '.join(CIM_TRAFFIC_ACTIONS)}")
        mapping[name] = action
    return mapping
