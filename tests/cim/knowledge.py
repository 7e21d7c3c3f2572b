"""The add-on's event types and tags: ``package/default/{eventtypes,tags}.conf`` when they
exist, else the design's table (cim-mapping.md §2.11), which the conf files must implement."""
from __future__ import annotations

from conftest import REPO_ROOT

from .search import Search

DEFAULT = REPO_ROOT / "package" / "default"

# cim-mapping.md §2.11 (the optional host_os/certificate rows are not shipped).
_THREAT_TYPES = "1, 2, 553648143, 553648145, 553648155, 553648168, 1090519054, 2164260880, " \
                "2164260893"
DESIGN_EVENTTYPES = {
    "cisco_firepower_connection": (
        'sourcetype="cisco:firepower:estreamer:connection" rec_type=71',
        {"network", "communicate"}),
    "cisco_firepower_intrusion": (
        'sourcetype="cisco:firepower:estreamer:intrusion" rec_type=400', {"ids", "attack"}),
    "cisco_firepower_file_malware": (
        'sourcetype="cisco:firepower:estreamer:file" rec_type=502', {"malware", "attack"}),
    "cisco_firepower_malware": (
        'sourcetype="cisco:firepower:estreamer:malware" rec_type=125 '
        f"malware_event_type_id IN ({_THREAT_TYPES})", {"malware", "attack"}),
    "cisco_firepower_correlation": (
        'sourcetype="cisco:firepower:estreamer:correlation" rec_type=112', {"alert"}),
    "cisco_firepower_authentication": (
        'sourcetype="cisco:firepower:estreamer:identity" rec_type=95 '
        "auth_type_id IN (1,2,3,4,5)", {"authentication"}),
    "cisco_firepower_vpn_start": (
        'sourcetype="cisco:firepower:estreamer:vpn" rec_type=170',
        {"network", "session", "vpn", "start"}),
    "cisco_firepower_vpn_end": (
        'sourcetype="cisco:firepower:estreamer:vpn" rec_type=171',
        {"network", "session", "vpn", "end"}),
}


def read_conf(path) -> dict:
    """``{stanza: {key: value}}`` of a Splunk .conf file (comments, ``\\`` continuations)."""
    stanzas = {"default": {}}
    current = stanzas["default"]
    lines = iter(path.read_text().splitlines())
    for raw in lines:
        line = raw.strip()
        while line.endswith("\\"):  # a value continued on the next line keeps the line break
            line = line[:-1] + "\n" + next(lines, "").strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = stanzas.setdefault(line[1:-1], {})
            continue
        key, separator, value = line.partition("=")
        if separator:
            current[key.strip()] = value.strip()
    return stanzas


class Knowledge:
    """Event type searches (compiled) and the tags each event type carries."""

    def __init__(self, searches: dict, tags: dict, source: str):
        self.searches = {name: Search(text) for name, text in searches.items()}
        self.search_text = dict(searches)
        self.tags = {name: frozenset(tags.get(name, ())) for name in searches}
        self.source = source

    @classmethod
    def load(cls) -> "Knowledge":
        eventtypes, tags = DEFAULT / "eventtypes.conf", DEFAULT / "tags.conf"
        if eventtypes.exists() and tags.exists():
            searches = {name: stanza["search"] for name, stanza in read_conf(eventtypes).items()
                        if "search" in stanza}
            tagged = {}
            for stanza, keys in read_conf(tags).items():
                if stanza.startswith("eventtype="):
                    tagged[stanza[len("eventtype="):]] = {
                        tag for tag, state in keys.items() if state == "enabled"}
            return cls(searches, tagged, "package/default/eventtypes.conf, tags.conf")
        return cls({name: search for name, (search, _) in DESIGN_EVENTTYPES.items()},
                   {name: tags for name, (_, tags) in DESIGN_EVENTTYPES.items()},
                   "cim-mapping.md §2.11 (conf files not written yet)")

    def match(self, fields: dict):
        """Names of the event types whose search matches ``fields``."""
        return sorted(name for name, search in self.searches.items() if search(fields))
