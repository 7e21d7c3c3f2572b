"""Splunk side of the eStreamer input: configuration and secrets through splunkd (solnlib),
KV-store bookmarks, the modular-input XML event writer, health events and the input's log.

The client library (package/bin/estreamer) knows nothing of Splunk; this package adapts it.
Runs on Splunk's Python 3.9 and 3.13.
"""
