"""Offline CIM tooling of the test suite: the data models read from pytest-splunk-addon's
wheel, the add-on's event types and tags, a checker for single events, and the fixtures."""
