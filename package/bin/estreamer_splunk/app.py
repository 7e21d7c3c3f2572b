"""The add-on's names and the small vocabularies every glue module shares, each said once.

The app and conf names splunkd knows the add-on by, the text that stands for a secret, the
filesystem-safe form of an input's name (its log file and its state files in the checkpoint
dir are named after it), the log levels the Logging tab offers, and the words a conf or input
boolean may be written with. Runs on Splunk's Python 3.9 and 3.13.
"""
from __future__ import annotations

import logging
import os
import re
from typing import Optional

APP = "TA_firepower_estreamer"
INPUT_SCHEME = "firepower_estreamer"
FMC_CONF = "ta_firepower_estreamer_fmc_server"
SETTINGS_CONF = "ta_firepower_estreamer_settings"
MASK = "********"  # shown instead of a secret in logs and reprs

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TRUE_WORDS = ("1", "true", "t", "yes", "y", "on")
FALSE_WORDS = ("0", "false", "f", "no", "n", "off")

_UNSAFE = re.compile(r"[^\w.-]+")


def safe_name(input_name: str) -> str:
    """An input's name as a file name: anything but letters, digits, ``_ . -`` becomes ``_``
    (UCC's own name check allows only letters, digits and underscores)."""
    return _UNSAFE.sub("_", input_name)


def checkpoint_file(checkpoint_dir: str, input_name: str, what: str) -> str:
    """``<checkpoint_dir>/<input>.<what>``: where an input keeps one piece of its state
    (``bookmark.json``, ``metadata.json``, ``generation.json``, ``journal``)."""
    return os.path.join(checkpoint_dir, "{}.{}".format(safe_name(input_name), what))


def log_level(text: Optional[str]) -> str:
    """A log level's name from the Logging tab's value: ``WARN`` is ``WARNING``; anything
    unknown or empty is ``INFO``."""
    name = (text or "").strip().upper()
    name = "WARNING" if name == "WARN" else name
    return name if name in LOG_LEVELS else "INFO"


def flag(text: Optional[str], default: bool = False, name: str = "") -> bool:
    """A conf or input boolean: one of :data:`TRUE_WORDS` or :data:`FALSE_WORDS` (any case);
    empty means ``default``. Anything else is a ValueError naming ``name``; read without a
    name (a conf value the Configuration page wrote), anything but a true word is false."""
    word = (text or "").strip().lower()
    if word == "":
        return default
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    if not name:
        return False
    raise ValueError("{} must be one of {} (true) or {} (false), not {!r}".format(
        name, ", ".join(TRUE_WORDS), ", ".join(FALSE_WORDS), text))


def python_log_level(text: Optional[str]) -> int:
    """:func:`log_level` as the ``logging`` module's number."""
    return int(getattr(logging, log_level(text)))


__all__ = ["APP", "FALSE_WORDS", "FMC_CONF", "INPUT_SCHEME", "LOG_LEVELS", "MASK",
           "SETTINGS_CONF", "TRUE_WORDS", "checkpoint_file", "flag", "log_level",
           "python_log_level", "safe_name"]
