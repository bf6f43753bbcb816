"""ConnectorPhaseRotation and ConnectorPhaseRotationMaxLength (OCPP 1.6 §9.1, a required Core key).

The value is a comma-separated list of `<connector>.<rotation>` items, e.g. `1.RST,2.RTS`. The default comes from
the board file: a connector's `phase_rotation` field when it has one, else RST for a three-phase connector and
NotApplicable for a single-phase one. A ChangeConfiguration is checked item by item (known connector, known
rotation, each connector once) and Rejected as a whole on any bad item; an accepted value is persisted by the
configuration registry.
"""

from boards import ROTATIONS
from controller import config
from controller.feature import Feature

KEY = "ConnectorPhaseRotation"
MAX_KEY = "ConnectorPhaseRotationMaxLength"


def board_default(board):
    """The items a board file implies, one per connector."""
    rating = board.get("rating") or {}
    items = []
    for c in board["connectors"]:
        rotation = c.get("phase_rotation")
        if rotation is None:
            rotation = "RST" if c.get("phases", rating.get("phases", 1)) == 3 else "NotApplicable"
        items.append(str(c["id"]) + "." + rotation)
    return items


def valid_items(items, connectors):
    """True when every item is `<id>.<rotation>` with 0 <= id <= connectors, and no connector appears twice."""
    seen = []
    for item in items:
        dot = item.find(".")
        head = item[:dot]
        if dot <= 0 or not head.isdigit() or item[dot + 1:] not in ROTATIONS:
            return False
        cid = int(head)
        if cid > connectors or cid in seen:
            return False
        seen.append(cid)
    return True


class PhaseRotation(Feature):
    NAME = "phase_rotation"

    def __init__(self, station):
        Feature.__init__(self, station)
        count = len(station.board["connectors"])
        self.KEYS = (
            config.Key(MAX_KEY, config.INT, count + 1, access="R", persist=False),
            config.Key(KEY, config.CSL, board_default(station.board), check=lambda items: valid_items(items, count),
                       max_items_key=MAX_KEY),
        )
