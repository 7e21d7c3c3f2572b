"""One modular-input process: configuration in, the eStreamer client running, events out.

splunkd starts one process per input and restarts it if it dies, so this never exits while
healthy. SIGTERM (splunkd stopping or the input being disabled) flushes the events in hand,
saves the bookmark and returns well within splunkd's grace period.
"""
import logging
import os
import signal
import sys
import threading
import time

from estreamer.client import ClientConfig, FatalError, StreamClient
from estreamer.events import EventMapper, MapperOptions
from estreamer.events.options import parse_rule_actions
from estreamer.metadata import MetadataCache
from estreamer.wire import Subscription

from .bookmarks import KVStoreBookmarkStore
from .health import health_events
from .logs import mask_filter, setup_logging
from .settings import flag, load_settings
from .xml_stream import SplunkEventSink

log = logging.getLogger("estreamer_splunk")

START = {"bookmark": "genesis", "genesis": "genesis", "now": "now"}


def client_config(settings) -> ClientConfig:
    """The client's configuration from the input and its FMC server stanza."""
    params, fmc, advanced = settings.input.params, settings.fmc, settings.advanced
    families = tuple(f for f in (params.get("record_families") or "").split("|") if f)
    subscription = Subscription(families=families,
                                packets=flag(params.get("packet_data")),
                                extra_data=flag(params.get("intrusion_extra_data")))
    position = params.get("start_position") or "bookmark"
    if position == "date":
        from firepower_estreamer_helper import parse_start_date
        start = int(parse_start_date(params.get("start_date") or "").timestamp())
    else:
        start = START.get(position, "genesis")
    return ClientConfig(
        host=fmc.host, port=fmc.port, pkcs12=fmc.pkcs12, password=fmc.pkcs12_password,
        verify=fmc.verify_server_cert, server_cert_sha256=fmc.server_cert_sha256,
        connect_timeout=fmc.connect_timeout,
        response_timeout=fmc.response_timeout, subscription=subscription, start=start,
        flush_interval=advanced.flush_interval, batch_size=advanced.batch_size,
        generation=fmc.generation)


def mapper_options(params) -> MapperOptions:
    return MapperOptions(si_split=flag(params.get("si_split"), True),
                         raw_unknown=flag(params.get("raw_unknown")),
                         rule_actions=parse_rule_actions(params.get("rule_actions")))


class DeviceFilter:
    """Keeps only the managed devices an input allows (names or ids), before the sink."""

    def __init__(self, sink, cache, allow, deny):
        self.sink, self.cache = sink, cache
        self.allow, self.deny = set(allow), set(deny)

    def wanted(self, record) -> bool:
        device = record.get("deviceId")
        if device is None:
            return True
        names = {str(device), self.cache.name("devices", device) or ""}
        if self.allow and not names & self.allow:
            return False
        return not names & self.deny

    def write(self, record):
        if self.wanted(record):
            self.sink.write(record)

    def flush(self):
        self.sink.flush()


class Health:
    """Writes the health events every ``interval`` seconds, from the client's thread."""

    def __init__(self, client, sink, cache, interval, fmc_name, input_name, host,
                 clock=time.time):
        self.client, self.sink, self.cache = client, sink, cache
        self.interval, self.fmc, self.input, self.host = interval, fmc_name, input_name, host
        self.clock = clock
        self.due = clock() + interval
        self.previous = None

    def __call__(self):
        now = self.clock()
        if now < self.due:
            return
        self.due = now + self.interval
        stats = self.client.stats.as_dict()
        stats["mapping_errors"] = self.sink.mapper.errors
        for device, info in stats["devices"].items():
            info["name"] = self.cache.name("devices", device)
        lag = self.sink.take_interval()["lag"]
        for event in health_events(stats, self.previous, self.interval, now, self.fmc,
                                   self.input, self.host, lag):
            self.sink.write_event(event)
        self.sink.flush()
        self.previous = stats


def run_input(config, out=None) -> int:
    """Run one input (an :class:`~.settings.InputConfig`) until SIGTERM. Returns the exit code."""
    out = out if out is not None else sys.stdout
    stop = threading.Event()  # first thing: splunkd may stop the input while it starts
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    handler = setup_logging(config.name)
    try:
        settings = load_settings(config)
    except ValueError as e:
        log.error("input %s cannot start: %s", config.name, e)
        return 1
    masks = mask_filter(handler)
    masks.add(settings.fmc.pkcs12_password)
    masks.add(settings.fmc.pkcs12)
    logging.getLogger().setLevel(settings.loglevel)

    params, fmc = config.params, settings.fmc
    cache_path = os.path.join(config.checkpoint_dir, f"{config.name}.metadata.json")
    cache = _load_cache(cache_path, settings.advanced.metadata_cache_size)
    mapper = EventMapper(cache, fmc.host, mapper_options(params))
    sink = SplunkEventSink(mapper, out, index=params.get("index") or "default",
                           source=config.stanza)
    from firepower_estreamer_helper import parse_device_list
    allow, deny = (parse_device_list(params.get("device_allow")),
                   parse_device_list(params.get("device_deny")))
    filtered = DeviceFilter(sink, cache, allow, deny) if allow or deny else sink
    bookmarks = KVStoreBookmarkStore.for_input(config, logger=log)
    from estreamer.generations import FileGenerationStore
    generations = FileGenerationStore(os.path.join(config.checkpoint_dir,
                                                   f"{config.name}.generation.json"))
    client = StreamClient(client_config(settings), filtered, bookmarks, cache,
                          generations=generations)
    client.tick = Health(client, sink, cache, settings.advanced.health_interval, fmc.name,
                         config.name, fmc.host)

    log.info("input %s starting: FMC %s (%s:%s), families %s, bookmark in %s", config.name,
             fmc.name, fmc.host, fmc.port, params.get("record_families"), bookmarks.backend)
    try:
        client.run(stop)
    except FatalError as e:
        log.error("input %s stopped: %s", config.name, e)
        return 1
    finally:
        sink.close()
        cache.save(cache_path)
        log.info("input %s stopped: %d events delivered, bookmark %s", config.name,
                 sink.events, client.stats.bookmark)
    return 0


def _load_cache(path, size) -> MetadataCache:
    if os.path.exists(path):
        try:
            return MetadataCache.load(path, size)
        except (OSError, ValueError) as e:
            log.warning("metadata cache %s unreadable (%s): starting empty; names fill in as "
                        "the FMC sends them", path, e)
    return MetadataCache(size)
