"""One modular-input process: configuration in, the eStreamer client running, events out.

splunkd starts one process per input and restarts it if it dies, so this never exits while
healthy. SIGTERM (splunkd stopping or the input being disabled) flushes the events in hand,
saves the bookmark and returns well within splunkd's grace period.

Every way out but SIGTERM is non-zero (splunkd restarts the input) and leaves its reason twice:
an ERROR line in the input's own log and one final health event with ``last_error``. Whatever
escapes is caught once, around everything, and logged with its traceback (secrets masked).
"""
import logging
import os
import re
import signal
import sys
import threading
import time

from estreamer.bookmark import BookmarkUnreadable
from estreamer.client import ClientConfig, FatalError, Standby, Stats, StreamClient
from estreamer.events import EventMapper, MapperOptions
from estreamer.events.options import parse_rule_actions
from estreamer.journal import IdentityJournal
from estreamer.metadata import MetadataCache
from estreamer.wire import Subscription

from .bookmarks import KVStoreBookmarkStore, KVStoreUnavailable, SessionExpired
from .health import SOURCETYPE as HEALTH, health_events, prune_devices
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
    standby = None
    if fmc.standby_host:
        standby = Standby(host=fmc.standby_host, port=fmc.standby_port,
                          pkcs12=fmc.standby_pkcs12, password=fmc.standby_pkcs12_password,
                          server_cert_sha256=fmc.standby_server_cert_sha256)
    return ClientConfig(
        host=fmc.host, port=fmc.port, pkcs12=fmc.pkcs12, password=fmc.pkcs12_password,
        verify=fmc.verify_server_cert, server_cert_sha256=fmc.server_cert_sha256,
        connect_timeout=fmc.connect_timeout,
        response_timeout=fmc.response_timeout, subscription=subscription, start=start,
        flush_interval=advanced.flush_interval, batch_size=advanced.batch_size,
        future_tolerance=advanced.future_tolerance, generation=fmc.generation,
        standby=standby, failover_after=fmc.failover_after,
        failover_margin=fmc.failover_margin)


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
        return self.wanted_device(record.get("deviceId"))

    def wanted_device(self, device) -> bool:
        if device is None:
            return True
        names = {str(device), self.cache.name("devices", device) or ""}
        if self.allow and not names & self.allow:
            return False
        return not names & self.deny

    def write(self, record):
        if self.wanted(record):
            self.sink.write(record)

    def write_body(self, body):
        """An event record's bytes, compiled (see the sink's ``write_body``): dropped here
        when its device is not wanted."""
        rendered = self.sink.mapper.render(body)
        if rendered is None:
            return False
        if self.wanted_device(rendered[2]):
            self.sink.write_rendered(rendered)
        return True

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
        sink = self.sink
        stats = self.client.stats.as_dict()
        # what was written, not what the client handed over (metadata, filtered devices)
        stats["events"] = sum(n for sourcetype, n in sink.counts.items() if sourcetype != HEALTH)
        stats["mapping_errors"] = sink.mapper.errors
        prune_devices(sink.devices, now)
        stats["devices"] = {
            device: {"last_event_time": newest, "events": events,
                     "name": self.cache.name("devices", device)}
            for device, (newest, events, _) in sink.devices.items()}
        lag = self.sink.take_interval()["lag"]
        for event in health_events(stats, self.previous, self.interval, now, self.fmc,
                                   self.input, self.host, lag):
            self.sink.write_event(event)
        # the client's flush journals the identities of the events in the sink before they
        # leave it (estreamer.journal); the sink's own flush then sends the health events
        self.client.flush()
        self.sink.flush()
        self.previous = stats

    def report_now(self, last_error=None):
        """One health event right away (a wait, a fatal error); ``last_error`` says why."""
        if last_error is not None:
            self.client.stats.last_error = last_error
        self.due = self.clock()
        self()


class FinalReport:
    """The one health event a fatal exit leaves: through the input's :class:`Health` once it
    exists, else built here (the settings may not even name the FMC's address yet)."""

    def __init__(self, sink, config, masks=None):
        self.sink, self.config, self.masks = sink, config, masks
        self.health = None
        self.fmc = (config.params.get("fmc_server") or "").strip()
        self.host = self.fmc or config.server_host

    def __call__(self, text):
        text = self.masks.mask(text) if self.masks is not None else text
        try:
            if self.health is not None:
                self.health.report_now(text)
                return
            stats = Stats().as_dict()
            stats["last_error"] = text
            for event in health_events(stats, None, 0, time.time(), self.fmc, self.config.name,
                                       self.host):
                self.sink.write_event(event)
            self.sink.flush()
        except Exception:  # noqa: BLE001 - a broken pipe to splunkd must not hide the cause
            log.warning("input %s: the final health event could not be written",
                        self.config.name, exc_info=True)


def run_input(config, out=None) -> int:
    """Run one input (an :class:`~.settings.InputConfig`) until SIGTERM. Returns the exit code:
    0 after SIGTERM, 1 after anything else (see the module docstring)."""
    out = out if out is not None else sys.stdout
    stop = threading.Event()  # first thing: splunkd may stop the input while it starts
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    handler = setup_logging(config.name)
    sink = SplunkEventSink(None, out, index=config.params.get("index") or "default",
                           source=config.stanza)
    report = FinalReport(sink, config, mask_filter(handler))
    try:
        return _run(config, sink, stop, handler, report)
    except Exception as e:  # noqa: BLE001 - the one catch-all: splunkd restarts the input
        log.exception("input %s stopped by an unexpected error (%s); splunkd restarts it",
                      config.name, type(e).__name__)
        report(f"unexpected error: {type(e).__name__}: {e}")
        return 1
    finally:
        try:
            sink.close()
        except Exception:  # noqa: BLE001 - splunkd closed the pipe: nothing left to tell it
            log.warning("input %s: closing the event stream failed", config.name, exc_info=True)


def _run(config, sink, stop, handler, report) -> int:
    def fatal(what, error):
        log.error("input %s %s: %s", config.name, what, error)
        report(str(error))
        return 1

    try:
        settings = load_settings(config)
    except ValueError as e:
        return fatal("cannot start", e)
    masks = mask_filter(handler)
    for secret in (settings.fmc.pkcs12_password, settings.fmc.pkcs12,
                   settings.fmc.standby_pkcs12_password, settings.fmc.standby_pkcs12):
        if secret:
            masks.add(secret)
    logging.getLogger().setLevel(settings.loglevel)

    params, fmc = config.params, settings.fmc
    report.fmc, report.host = fmc.name, fmc.host
    cache_path = os.path.join(config.checkpoint_dir, f"{config.name}.metadata.json")
    cache = _load_cache(cache_path, settings.advanced.metadata_cache_size)
    sink.mapper = EventMapper(cache, fmc.host, mapper_options(params))
    from firepower_estreamer_helper import parse_device_list
    allow, deny = (parse_device_list(params.get("device_allow")),
                   parse_device_list(params.get("device_deny")))
    filtered = DeviceFilter(sink, cache, allow, deny) if allow or deny else sink
    bookmarks = KVStoreBookmarkStore.for_input(
        config, logger=log, wait=settings.advanced.kvstore_wait, stop=stop,
        on_wait=lambda text: health.report_now(text))
    from estreamer.generations import FileGenerationStore
    generations = FileGenerationStore(os.path.join(config.checkpoint_dir,
                                                   f"{config.name}.generation.json"))
    client_settings = client_config(settings)
    journal = IdentityJournal(journal_prefix(config.checkpoint_dir, config.name),
                              client_settings.journal_window)
    client = StreamClient(client_settings, filtered, bookmarks, cache, generations=generations,
                          journal=journal)
    health = Health(client, sink, cache, settings.advanced.health_interval, fmc.name,
                    config.name, fmc.host)
    report.health = health

    def tick():
        health()
        bookmarks.keep_alive()  # an idle session key must not age out while the FMC is quiet
    client.tick = tick

    log.info("input %s starting: FMC %s (%s:%s%s), families %s, bookmark in %s", config.name,
             fmc.name, fmc.host, fmc.port,
             ", standby {}:{}, failover after {:g} s".format(
                 fmc.standby_host, fmc.standby_port, fmc.failover_after)
             if fmc.standby_host else "", params.get("record_families"), bookmarks.backend)
    try:
        client.run(stop)
    except FatalError as e:
        return fatal("stopped", e)
    except SessionExpired as e:
        return fatal("stopped", e)
    except BookmarkUnreadable as e:
        return fatal("cannot read its bookmark", e)
    except KVStoreUnavailable as e:
        if stop.is_set():
            log.info("input %s stopped while waiting for the KV store", config.name)
            return 0
        return fatal("cannot start", e)
    finally:
        try:
            bookmarks.close()
        finally:
            cache.save(cache_path)
            log.info("input %s stopped: %d events delivered, bookmark %s", config.name,
                     sink.events, client.stats.bookmark)
    return 0


def journal_prefix(checkpoint_dir, input_name):
    """Where an input's identity journal lives: ``<checkpoint_dir>/<input>.journal.NNNNNN``."""
    return os.path.join(checkpoint_dir, "{}.journal".format(
        re.sub(r"[^\w.-]+", "_", input_name)))


def _load_cache(path, size) -> MetadataCache:
    """The persisted metadata cache; an unreadable one is moved aside (named in a warning) and
    the input starts with an empty cache: names fill in as the FMC sends them."""
    try:
        return MetadataCache.load(path, size, strict=True)
    except ValueError as e:
        aside = f"{path}.unreadable"
        try:
            os.replace(path, aside)
        except OSError as moved:
            aside = f"nowhere ({moved.strerror})"
        log.warning("metadata cache %s is unreadable (%s): moved aside to %s; starting with an "
                    "empty cache, names fill in as the FMC sends them", path, e, aside)
    return MetadataCache(size)
