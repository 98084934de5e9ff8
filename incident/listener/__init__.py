"""The production webhook listener of ``incident watch --listen``: uvicorn serving a Starlette app.

- :mod:`.limits`: size caps, body deadline, content type, JSON depth (all before parsing).
- :mod:`.auth`: Bearer/Basic authentication of the Alertmanager endpoint.
- :mod:`.app`: the routes (webhooks into the durable inbox, ``/healthz``, ``/metrics``).
- :mod:`.server`: uvicorn in a thread, with a header deadline and the refusal to listen beyond
  loopback without authentication.
"""

from incident.listener.server import Listener, check_exposure

__all__ = ["Listener", "check_exposure"]
