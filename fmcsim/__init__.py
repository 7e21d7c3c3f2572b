"""FMC simulator: a developer tool that plays the Firepower Management Center's eStreamer
service (TLS with client certificates, the eStreamer session, realistic records of every
family, replay of captured bytes, injected faults) so the client can be tested without an FMC.
It also plays an older FMC: ``--max-generation 6.2`` refuses event versions newer than that
generation's right after the Streaming Request (closing the connection, or with
``--refusal error`` answering an Error first), as an FMC refuses what it does not know.

Not shipped in the add-on. ``python -m fmcsim pki DIR`` mints certificates,
``python -m fmcsim serve --pki DIR`` runs the server.
"""
import os
import sys

# The simulator speaks through the add-on's own protocol library (package/bin/estreamer).
_LIBRARY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "package", "bin")
if os.path.isdir(_LIBRARY) and _LIBRARY not in sys.path:
    sys.path.append(_LIBRARY)
