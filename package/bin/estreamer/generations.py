"""Which event generation to ask an FMC for, found by trying and remembered per FMC server.

A generation (``wire.EVENT_VERSIONS``) is the set of event versions a Streaming Request names:
"7.0" gets an FMC 7 its newest blocks (EVE, NAT, VRF, security group tags; intrusion 85, file
79, malware 80), "6.2" and "6.0" what older FMCs send. An FMC that does not know a requested
version refuses the request: it closes the connection, or answers an Error message, right after
the Streaming Request. With the setting ``auto`` the client asks for the newest generation
first and, on such a refusal, for the next older one; the first that streams is remembered for
that FMC server, so later connections and restarts ask for it directly. A remembered older
generation is tried against the newer ones again once a day (:data:`REPROBE_SECONDS`), so an
FMC upgraded to 7 starts sending its FMC 7 fields without anyone touching the input.

Stores keep ``{server: {"generation": ..., "checked": epoch seconds}}`` behind ``load(server)``
and ``save(server, generation)``: a small JSON file (the input's checkpoint dir, the command
line's ``--bookmark`` file + ``.generation``), or memory.
"""
from __future__ import annotations

import json
import time
from typing import NamedTuple, Optional

from .atomic import write_atomic
from .wire import GENERATIONS

AUTO = "auto"
CHOICES = (AUTO,) + GENERATIONS
REPROBE_SECONDS = 86400


def check_setting(value: str) -> str:
    """The setting as given, or a ValueError naming the choices."""
    value = (value or AUTO).strip()
    if value not in CHOICES:
        raise ValueError(f"generation {value!r} is not one of {', '.join(CHOICES)}")
    return value


class Remembered(NamedTuple):
    generation: str
    checked: float  # when it last streamed (epoch seconds)


def candidates(setting: str, remembered: Optional[Remembered], now: float = None) -> list:
    """The generations to try, in order: a fixed setting alone; ``auto`` the remembered one
    (until it is due for a re-check), else every generation newest first."""
    if setting != AUTO:
        return [setting]
    now = time.time() if now is None else now
    if remembered is not None and remembered.generation in GENERATIONS:
        newest = remembered.generation == GENERATIONS[0]
        if newest or now - remembered.checked < REPROBE_SECONDS:
            return [remembered.generation]
    return list(GENERATIONS)


class MemoryGenerationStore:
    """What worked, for this process only (the command line without ``--bookmark``)."""

    def __init__(self):
        self.servers = {}

    def load(self, server: str) -> Optional[Remembered]:
        return self.servers.get(server)

    def save(self, server: str, generation: str, now: float = None):
        self.servers[server] = Remembered(generation, time.time() if now is None else now)


class FileGenerationStore(MemoryGenerationStore):
    """One JSON document, replaced atomically; an unreadable file is only a forgotten choice
    (the next connection finds the generation again)."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
            self.servers = {server: Remembered(str(entry["generation"]),
                                               float(entry["checked"]))
                            for server, entry in data.items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            self.servers = {}

    def save(self, server: str, generation: str, now: float = None):
        super().save(server, generation, now)
        write_atomic(self.path, json.dumps(
            {server: {"generation": entry.generation, "checked": entry.checked}
             for server, entry in self.servers.items()}), prefix=".generation-")
