"""What every event table shares: value normalisation and name resolution.

Rules every family follows, implemented once: addresses as RFC 5952 text with
IPv4-mapped addresses as dotted quads, lowercase MACs and hashes, zero values and FMC
placeholders omitted, ``<thing>-<id>`` when the FMC has not named an id, join keys.
"""
from __future__ import annotations

import ipaddress

from ..catalog import RECORDS
from ..fields import memoised
from .tables import PLACEHOLDERS, RULE_ACTIONS, ZERO_MAC, ZERO_UUID

VENDOR = "Cisco"
PRODUCT = "Secure Firewall"
VENDOR_PRODUCT = "Cisco Secure Firewall"
CONSTANTS = (("vendor", VENDOR), ("product", PRODUCT), ("vendor_product", VENDOR_PRODUCT))
CONSTANT_FIELDS = tuple(name for name, _ in CONSTANTS)


def is_placeholder(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in PLACEHOLDERS)


_MEMO_LIMIT = 1 << 16


@memoised  # names repeat
def text(value):
    """A string worth emitting, or None (empty or a placeholder)."""
    return None if is_placeholder(value) else value


def ip(value):
    """Canonical address text, or None for a zero/absent address.

    The decoder already renders RFC 5952 text with IPv4-mapped addresses as dotted quads; this
    also normalises hand-made or upper-case values (memoised: traffic repeats its addresses).
    """
    if not value:
        return None
    return _normalised_ip(value) or None


def _normalise_ip(value) -> str:
    try:
        address = ipaddress.ip_address(value.strip() if isinstance(value, str) else value)
    except ValueError:
        return ""  # not an address: never put into an address field
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return "" if not int(address) else str(address)


_normalised_ip = memoised(_normalise_ip)


def ip_from_u32(value):
    """Legacy 32-bit address fields decoded as integers (correlation sourceIp/destinationIp)."""
    return str(ipaddress.IPv4Address(value)) if value else None


def address_from_bytes(raw: bytes, ipv4_after: int):
    """A 16-byte address field: IPv4 (its last 4 bytes) when the first ``ipv4_after`` bytes are
    zero, else IPv6 (eNcore's rules for XFF extra data and VPN client addresses)."""
    if len(raw) != 16:
        return None
    if not any(raw[:ipv4_after]):
        return ip(str(ipaddress.IPv4Address(raw[12:])))
    return ip(str(ipaddress.IPv6Address(raw)))


def vpn_client_ip(value):
    """The VPN client's public address: 16 bytes, as hex or address text; with 96 leading zero
    bits it is an IPv4 address (eNcore rule)."""
    if isinstance(value, str) and len(value) == 32 and ":" not in value:
        try:
            return address_from_bytes(bytes.fromhex(value), 12)
        except ValueError:
            return None
    normal = ip(value)
    if normal is None or ":" not in normal:
        return normal
    return address_from_bytes(ipaddress.IPv6Address(normal).packed, 12)


def ip_version(*addresses):
    """``ipv4``/``ipv6`` for the event's (normalised) addresses, None when it has none."""
    for address in addresses:
        if address:
            return "ipv6" if ":" in address else "ipv4"
    return None


def mac(value):
    if not value or value == ZERO_MAC:
        return None
    value = value.lower().replace("-", ":")
    return None if value == ZERO_MAC else value


def uuid(value):
    """Canonical UUID text; a 16-byte id decoded as bare hex (block 160's sslPolicyId) gets its
    dashes. The zero UUID is an absent value."""
    if not value:
        return None
    if len(value) == 32 and "-" not in value:
        value = f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return None if value == ZERO_UUID else value.lower()


def hex_digest(value):
    """Hash text, lowercase; all-zero digests are absent values."""
    if not value or not value.strip("0"):
        return None
    return value.lower()


def seconds(second, microsecond=0):
    """Epoch seconds with microseconds as one float (the event's ``time``)."""
    return round(second + microsecond / 1e6, 6) if microsecond else float(second)


def user_event_time(second, microsecond, timestamp, archive_timestamp):
    """The discovery header's event time, else the user block's timestamp, else the archive
    timestamp"""
    if second:
        return seconds(second, microsecond)
    return float(timestamp or archive_timestamp or 0)


def connection_id(device_id, instance, counter, timestamp):
    """The join key linking intrusion/file/malware events to their connection."""
    if not timestamp:
        return None
    return f"{device_id}:{instance}:{counter}:{timestamp}"


def record_name(record_type: int):
    """The record type's name (the catalog's)."""
    kind = RECORDS.get(record_type)
    return kind.name if kind is not None else None


_UNSET = object()
_ABSENT_IDS = {0: None, None: None, "": None, ZERO_UUID: None}


class Labels(dict):
    """The names of one metadata table by id, memoised: ``labels[id]`` is a dict hit once an id
    has been seen (events repeat the same zones, rules, applications and countries).

    An id the FMC has not named reads ``<thing>-<id>``; a placeholder name (``Unknown``) reads
    None; with ``zero_absent`` (the default) zero ids and zero UUIDs are absent values (None).
    The owner calls :meth:`reset` when the cache learns or forgets a name.
    """

    __slots__ = ("thing", "table", "cache", "zero_absent")

    def __init__(self, thing: str, table: str, cache, zero_absent: bool = True):
        super().__init__()
        self.thing, self.table, self.cache, self.zero_absent = thing, table, cache, zero_absent
        self.reset()

    def reset(self):
        self.clear()
        if self.zero_absent:
            self.update(_ABSENT_IDS)

    def __missing__(self, key):
        if len(self) > _MEMO_LIMIT:
            self.reset()
        value = self.cache.name(self.table, key)
        value = self[key] = f"{self.thing}-{key}" if value is None else text(value)
        return value


class Context:
    """The metadata cache and the options, as the mappers use them.

    Resolved names are memoised until the cache's ``generation`` moves; :meth:`sync` (once per
    record, by :class:`~estreamer.events.EventMapper`) notices that. The devices' names are
    never absent for device 0 (it is the FMC itself).
    """

    __slots__ = ("cache", "options", "devices", "_tables", "_memo", "_generation")

    def __init__(self, cache, options):
        self.cache, self.options = cache, options
        self._tables, self._memo, self._generation = {}, {}, cache.generation
        self.devices = self.labels("device", "devices", zero_absent=False)

    def sync(self):
        generation = self.cache.generation
        if generation != self._generation:
            self._generation = generation
            self._memo.clear()
            for labels in self._tables.values():
                labels.reset()

    def labels(self, thing: str, table: str, zero_absent: bool = True) -> Labels:
        """The memoised names of ``table`` (one :class:`Labels` per table)."""
        labels = self._tables.get(table)
        if labels is None:
            labels = self._tables[table] = Labels(thing, table, self.cache, zero_absent)
        return labels

    def remembered(self, key, resolve):
        """``resolve()``, memoised under ``key`` until the cache's names change."""
        memo = self._memo
        value = memo.get(key, _UNSET)
        if value is _UNSET:
            if len(memo) > _MEMO_LIMIT:
                memo.clear()
            value = memo[key] = resolve()
        return value

    def name(self, table: str, *key):
        """The FMC's name for ``key``; None when unnamed or a placeholder."""
        return text(self.cache.name(table, *key))

    def label(self, fallback: str, table: str, *key):
        """The FMC's name for ``key``; ``fallback`` (``<thing>-<id>``) when the FMC has not
        named it yet; None when the FMC's name is a placeholder such as ``Unknown``."""
        def resolve():
            value = self.cache.name(table, *key)
            return fallback if value is None else text(value)
        return self.remembered((fallback, table) + key, resolve)

    def rule_action_name(self, action_id):
        """Rule action ids are named by the FMC (record 120), never hard-coded; a site may name
        ids its FMC has not sent yet (options.rule_action_names)."""
        def resolve():
            value = self.cache.name("firewallRuleActions", action_id)
            if value is None:
                value = self.options.rule_action_names.get(action_id)
            return f"rule-action-{action_id}" if value is None else text(value)
        return self.remembered(("rule-action", action_id), resolve)

    def cim_action(self, rule_action):
        """CIM ``action`` of a rule action name: the site's override, then the rule action
        table (``tables.RULE_ACTION_TABLE``); None when
        neither says (the caller decides from what the FMC recorded, tables.recorded_action)."""
        if rule_action is None:
            return None
        key = rule_action.lower()
        return self.options.rule_actions.get(key) or RULE_ACTIONS.get(key)

    def rule_name(self, revision, rule_id):
        """Access-control rule name, keyed by policy revision and rule id; rule 0 is the
        policy's default action (as eNcore names it)."""
        def resolve():
            value = self.cache.name("firewallRules", revision, rule_id) if revision else None
            if value is None:
                return "Default Action" if rule_id == 0 else f"rule-{rule_id}"
            return text(value)
        return self.remembered(("rule", revision, rule_id), resolve)


# --- generic records (discovery, metadata): the record's own fields, cleaned -------------------

_FRAMING = frozenset(("blockType", "blockLength", "blockString", "listType", "listLength",
                      "length"))
_SNAKE = {}


def snake(name: str) -> str:
    """``hostIpAddr`` → ``host_ip_addr``, ``ipv6Address`` → ``ipv6_address``."""
    result = _SNAKE.get(name)
    if result is None:
        chars = []
        for position, char in enumerate(name):
            if char.isupper() and position and not name[position - 1].isupper():
                chars.append("_")
            chars.append(char.lower())
        result = _SNAKE[name] = "".join(chars)
    return result


def is_framing(key: str) -> bool:
    """Block headers and derived lengths: wire structure, not content."""
    return key in _FRAMING or key.endswith("Length")


def clean(value, keep_zero: bool = False):
    """A decoded value as event JSON: snake_case keys, block framing and derived lengths
    dropped, empty values dropped; zeros and FMC placeholders too unless ``keep_zero``
    (metadata records, whose zero ids and ``Unknown`` names are content)."""
    if isinstance(value, str):
        if keep_zero:
            return value or None
        return text(value)
    if isinstance(value, (list, tuple)):
        items = [item for item in (clean(item, keep_zero) for item in value) if item is not None]
        return items or None
    if hasattr(value, "items"):
        out = {}
        for key, item in value.items():
            if is_framing(key):
                continue
            item = clean(item, keep_zero)
            if item is not None:
                out[snake(key)] = item
        return out or None
    if not value and not keep_zero:
        return None
    return value
