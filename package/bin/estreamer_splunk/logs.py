"""The input's own log file, and a filter that keeps its secrets out of every log line.

File: ``$SPLUNK_HOME/var/log/splunk/ta_firepower_estreamer_<input>.log`` in solnlib's line format
(props.conf ``[cisco:firepower:estreamer:log]`` parses it; Splunk indexes it into _internal).
The handler sits on the root logger, so the client library (``estreamer.*``), this package and
solnlib/splunklib (whose retry warnings go to the root logger) all land in the input's file rather
than on stderr (splunkd.log). ``TA_LOG_DIR`` overrides the directory (tests, or running the input
outside Splunk).

Secrets are kept out of log records by design; :class:`SecretMaskFilter` on the handler is the
second line of defence: any record whose text contains the PKCS12 password or the certificate's
base64 (whole, or any 64-character line of it) is rewritten with them masked.
"""
from __future__ import annotations

import base64
import logging
import logging.handlers
import os
from typing import Iterable, List, Optional, Union

from .app import MASK, python_log_level, safe_name

LOG_FORMAT = ("%(asctime)s log_level=%(levelname)s pid=%(process)d tid=%(threadName)s "
              "file=%(filename)s:%(funcName)s:%(lineno)d | %(message)s")
MAX_BYTES = 25000000
BACKUP_COUNT = 5
_MIN_SECRET = 4  # shorter secrets would mask common text in every line while hiding little


def log_directory(directory: Optional[str] = None) -> str:
    if directory:
        return directory
    if os.environ.get("TA_LOG_DIR"):
        return os.environ["TA_LOG_DIR"]
    home = os.environ.get("SPLUNK_HOME")
    if not home:
        raise ValueError("SPLUNK_HOME is not set: run the input from Splunk, or set TA_LOG_DIR "
                         "to the directory for its log file")
    return os.path.join(home, "var", "log", "splunk")


def log_path(input_name: str, directory: Optional[str] = None) -> str:
    return os.path.join(log_directory(directory),
                        "ta_firepower_estreamer_{}.log".format(safe_name(input_name)))


class SecretMaskFilter(logging.Filter):
    """Masks registered secrets in a record's message, arguments and exception text."""

    def __init__(self, secrets: Iterable[Union[str, bytes]] = ()):
        super().__init__()
        self._secrets: List[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: Union[str, bytes, bytearray]) -> None:
        """Register a secret: text, or bytes (the PKCS12 file) masked as their base64 too."""
        if isinstance(secret, (bytes, bytearray)):
            secret = base64.b64encode(bytes(secret)).decode("ascii")
        if not secret or len(secret) < _MIN_SECRET:
            return
        pieces = [secret]
        if len(secret) > 64:  # base64 wrapped in lines, or cut short in a message
            pieces += [secret[i:i + 64] for i in range(0, len(secret), 64)
                       if len(secret[i:i + 64]) >= 16]
        for piece in pieces:
            if piece not in self._secrets:
                self._secrets.append(piece)
        self._secrets.sort(key=len, reverse=True)  # whole secret before its pieces

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string is logged as it is
            message = str(record.msg)
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


def setup_logging(input_name: str, level: Union[str, int] = "INFO",
                  directory: Optional[str] = None,
                  secrets: Iterable[Union[str, bytes]] = ()) -> logging.Handler:
    """Send all logging of this process to the input's file at ``level``; returns the handler
    (its ``.filters[0]`` is the :class:`SecretMaskFilter`; call ``add`` once secrets are read).
    Calling it again for the same file replaces the earlier handler."""
    path = log_path(input_name, directory)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "baseFilename", None) == os.path.abspath(path):
            root.removeHandler(old)
            old.close()
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES,
                                                   backupCount=BACKUP_COUNT, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(SecretMaskFilter(secrets))
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else python_log_level(level))
    return handler


def mask_filter(handler: logging.Handler) -> Optional[SecretMaskFilter]:
    """The :class:`SecretMaskFilter` of a handler made by :func:`setup_logging`."""
    for f in handler.filters:
        if isinstance(f, SecretMaskFilter):
            return f
    return None


__all__ = ["LOG_FORMAT", "MASK", "SecretMaskFilter", "log_directory", "log_path", "mask_filter",
           "setup_logging"]
