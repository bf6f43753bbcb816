"""The shape of a feature module: its configuration keys, the actions it answers, and the hooks it may use.

A feature subclasses `Feature`, lists `KEYS`, returns its handlers from `actions()`, and overrides only the hooks
it needs. The station calls the hooks; a feature talks back only through the station (calls, effects, config).
"""


class Feature:
    KEYS = ()

    def __init__(self, station):
        self.st = station

    def actions(self):
        """{action: handler(payload, now) -> response payload} for the inbound CALLs this feature answers."""
        return {}

    def start(self, now):
        """Once, after every feature is registered and the configuration is loaded."""

    def on_connected(self, now):
        """The WebSocket is up."""

    def on_disconnected(self, now):
        """The WebSocket is down."""

    def on_accepted(self, now):
        """BootNotification was Accepted (after a restart, or after Pending/Rejected)."""

    def on_event(self, event, now):
        """A hardware or control event: a dict with a "type"."""

    def tick(self, now):
        """Time has passed; do what is due."""

    def deadline(self):
        """The next now_ms at which `tick` has something to do, or None."""
        return None

    def flush(self, now):
        """Write and fsync whatever this feature still holds unsaved (Station.flush: before a restart or a stop)."""
