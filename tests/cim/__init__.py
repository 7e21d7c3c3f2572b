"""Offline CIM tooling of the test suite: the data models read from pytest-splunk-addon's
wheel, the design's event types, a checker for single events (run through the search-time
model, tests/searchtime), and the fixtures."""
