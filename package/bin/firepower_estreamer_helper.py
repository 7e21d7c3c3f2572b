"""The UCC hook of the generated input script ``bin/firepower_estreamer.py``: splunkd's
``--validate-arguments`` call and its streaming run, handed to ``estreamer_splunk``."""
from typing import Any

from estreamer_splunk.params import InputParams


def validate_input(definition: Any) -> None:
    """An input is created or edited: a ValueError is the message the admin sees."""
    InputParams.parse(definition.parameters)


def stream_events(inputs: Any, event_writer: Any) -> None:
    """splunkd starts one process per input and stops it with SIGTERM."""
    # the runner needs cryptography (TLS); --scheme and --validate-arguments must not
    from estreamer_splunk.runner import run_inputs
    run_inputs(inputs)
