"""Site settings of the mappers: what the CIM design leaves to a lab FMC or to local policy."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

CIM_TRAFFIC_ACTIONS = ("allowed", "blocked", "teardown", "flow")
ENDPOINT_ADDRESSES = ("source", "destination")


@dataclass(frozen=True)
class MapperOptions:
    """
    emit_metadata:  map metadata records too (sourcetype ``…:metadata``); off by default.
    raw_unknown:    map records the decoder could not read (unknown record type or block
                    version) to events carrying ``rec_type`` and the record's ``raw`` hex.
    si_split:       mark Security Intelligence connections with ``si_event=1`` (their own event
                    type); off leaves the SI context fields but no marker.
    rule_actions:   CIM ``action`` per access-control rule action *name*, over lookup L2 (case
                    does not matter), e.g. ``{"Default Action": "blocked"}`` at a site whose
                    default action blocks.
    rule_action_names: names for rule action ids the FMC has not named (record 120), e.g.
                    ``{2: "Allow"}``; the FMC's own names always win.
    unresolved_rule_action: CIM ``action`` when the rule action has no name or no L2 row.
    endpoint_address: which address of an AMP for Endpoints malware event (record 125) is the
                    endpoint when both are set: ``source`` or ``destination`` (design: verify).
    clock:          the time of records that carry none (metadata), as epoch seconds.
    """

    emit_metadata: bool = False
    raw_unknown: bool = False
    si_split: bool = True
    rule_actions: Mapping[str, str] = field(default_factory=dict)
    rule_action_names: Mapping[int, str] = field(default_factory=dict)
    unresolved_rule_action: str = "flow"
    endpoint_address: str = "source"
    clock: Callable[[], float] = time.time

    def __post_init__(self):
        for name, action in list(self.rule_actions.items()) + [
                ("unresolved_rule_action", self.unresolved_rule_action)]:
            if action not in CIM_TRAFFIC_ACTIONS:
                raise ValueError(f"rule action {name!r}: {action!r} is not one of "
                                 f"{', '.join(CIM_TRAFFIC_ACTIONS)}")
        if self.endpoint_address not in ENDPOINT_ADDRESSES:
            raise ValueError(f"endpoint_address must be one of {', '.join(ENDPOINT_ADDRESSES)}")
        # L2 matches names without case; so do the overrides.
        object.__setattr__(self, "rule_actions",
                           {name.lower(): action for name, action in self.rule_actions.items()})
