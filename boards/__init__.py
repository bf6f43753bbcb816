"""Board files: the data that says what hardware a station has (buses, pins, drivers, connectors, ratings).

`load(name_or_path)` reads `boards/<name>.json` or a file path, checks it, and returns the board dict, or raises
BoardError naming the file, the field and the fix. Both targets read the same files. The buses and device blocks
are checked by boards/devices_check.py; docs/boards.md describes every field.
"""

import json

HALS = ("emulated", "linux", "micropython")
CABLES = ("socket", "fixed")
KNOWN_FIELDS = ("name", "description", "hal", "gpio_backend", "gpio_chip", "rating", "buses", "reader", "connectors",
                "measurands", "pins", "notes", "reservation", "smart_charging", "certificates", "network")
CONNECTOR_FIELDS = ("id", "cable", "max_amps", "phases", "meter", "pilot", "pp", "contactor", "lock", "rcd",
                    "watchdog", "phase_rotation")
ROTATIONS = ("NotApplicable", "Unknown", "RST", "RTS", "SRT", "STR", "TRS", "TSR")   # ConnectorPhaseRotation


class BoardError(Exception):
    pass


def _here():
    name = __file__
    cut = name.rfind("/")
    return name[:cut] if cut >= 0 else "."


def _fail(path, field, problem, fix):
    raise BoardError(path + ": field '" + field + "': " + problem + ". Fix: " + fix)


def _number(value):
    return value is not True and value is not False and isinstance(value, (int, float))


def check(board, path="<board>"):
    if not isinstance(board, dict):
        raise BoardError(path + ": a board file holds one JSON object. Fix: start from boards/desktop-sim.json")
    for field in board:
        if field not in KNOWN_FIELDS:
            _fail(path, field, "is not a board field", "remove it, or use one of: " + ", ".join(KNOWN_FIELDS))
    if not isinstance(board.get("name"), str) or not board["name"]:
        _fail(path, "name", "is missing", 'give the board a name, e.g. "my-station"')
    if board.get("hal") not in HALS:
        _fail(path, "hal", "must be one of " + ", ".join(HALS), 'use "linux" on a Raspberry Pi, '
              '"micropython" on a microcontroller, "emulated" on a laptop')
    rating = board.get("rating")
    if not isinstance(rating, dict):
        _fail(path, "rating", "is missing", 'add e.g. {"amps": 32, "phases": 3, "volts": 230}')
    for field in ("amps", "phases", "volts"):
        if not _number(rating.get(field)) or rating[field] <= 0:
            _fail(path, "rating." + field, "must be a positive number", "give the station's supply rating")
    if rating["phases"] not in (1, 3):
        _fail(path, "rating.phases", "must be 1 or 3", "use 1 for single-phase, 3 for three-phase")
    connectors = board.get("connectors")
    if not isinstance(connectors, list) or not connectors:
        _fail(path, "connectors", "must list at least one connector", 'add [{"id": 1, "cable": "socket", '
              '"max_amps": 32, "phases": 3}]')
    for i in range(len(connectors)):
        c = connectors[i]
        where = "connectors[" + str(i) + "]"
        if not isinstance(c, dict):
            _fail(path, where, "must be an object", "describe the connector as an object")
        for field in c:
            if field not in CONNECTOR_FIELDS:
                _fail(path, where + "." + field, "is not a connector field", "use one of: " +
                      ", ".join(CONNECTOR_FIELDS))
        if c.get("id") != i + 1:
            _fail(path, where + ".id", "must be " + str(i + 1), "number connectors 1, 2, ... in order")
        if c.get("cable") not in CABLES:
            _fail(path, where + ".cable", "must be socket or fixed", 'use "socket" for a socket outlet, '
                  '"fixed" for a tethered cable')
        amps = c.get("max_amps")
        if not _number(amps) or not 6 <= amps <= rating["amps"]:
            _fail(path, where + ".max_amps", "must be between 6 and the board rating (" + str(rating["amps"]) +
                  " A)", "give the connector's current rating in amps")
        if c.get("phases", rating["phases"]) not in (1, 3) or c.get("phases", 1) > rating["phases"]:
            _fail(path, where + ".phases", "must be 1 or 3 and not above rating.phases",
                  "give the connector's phase count")
        if "phase_rotation" in c and c["phase_rotation"] not in ROTATIONS:
            _fail(path, where + ".phase_rotation", "must be one of " + ", ".join(ROTATIONS),
                  'give how the connector is wired, e.g. "RST", or leave the field out')
    measurands = board.get("measurands", ["Energy.Active.Import.Register"])
    if not isinstance(measurands, list) or "Energy.Active.Import.Register" not in measurands:
        _fail(path, "measurands", "must be a list that includes Energy.Active.Import.Register",
              "list the OCPP measurands the board's meters provide")
    board["measurands"] = measurands
    reservation = board.get("reservation", {})
    if not isinstance(reservation, dict) or [k for k in reservation if k not in ("supported", "connector_zero") or
                                              (reservation[k] is not True and reservation[k] is not False)]:
        _fail(path, "reservation", "must be an object of true/false flags supported and connector_zero",
              'use e.g. {"supported": true, "connector_zero": false}')
    _check_smart(board.get("smart_charging", {}), path)
    _check_certificates(board.get("certificates", {}), path)
    _check_network(board, path)
    from boards import devices_check
    devices_check.check(board, path, _fail)
    return board


SMART_INTS = (("max_stack_level", 0, 100), ("max_periods", 1, 1000), ("max_profiles", 1, 1000))


def _check_smart(sc, path):
    """The optional "smart_charging" block: what the station's Smart Charging profile offers."""
    example = '{"supported": true, "max_stack_level": 10, "max_periods": 10, "max_profiles": 20, "units": ["A", "W"]}'
    if not isinstance(sc, dict):
        _fail(path, "smart_charging", "must be an object", "use e.g. " + example)
    for field in sc:
        if field not in ("supported",) + tuple(f[0] for f in SMART_INTS) + ("units",):
            _fail(path, "smart_charging." + field, "is not a smart_charging field", "use the fields of " + example)
    if "supported" in sc and sc["supported"] is not True and sc["supported"] is not False:
        _fail(path, "smart_charging.supported", "must be true or false", "write true or false")
    for field, low, high in SMART_INTS:
        value = sc.get(field, low)
        if value is True or value is False or not isinstance(value, int) or not low <= value <= high:
            _fail(path, "smart_charging." + field, "must be an integer from " + str(low) + " to " + str(high),
                  "give a whole number, e.g. 10")
    units = sc.get("units", ["A"])
    if not isinstance(units, list) or not units or [u for u in units if u not in ("A", "W")] or \
            len(set(units)) != len(units):
        _fail(path, "smart_charging.units", "must list A, W or both", 'use ["A"] (current only) or ["A", "W"]')


def _check_certificates(block, path):
    """The optional "certificates" block: the certificate store's size and the root-replacement rule."""
    example = '{"store_max_length": 20, "additional_root_check": false}'
    if not isinstance(block, dict):
        _fail(path, "certificates", "must be an object", "use e.g. " + example)
    for field in block:
        if field not in ("store_max_length", "additional_root_check"):
            _fail(path, "certificates." + field, "is not a certificates field", "use the fields of " + example)
    size = block.get("store_max_length", 20)
    if size is True or size is False or not isinstance(size, int) or not 1 <= size <= 1000:
        _fail(path, "certificates.store_max_length", "must be an integer from 1 to 1000",
              "give the number of root certificates the station can hold, e.g. 20")
    check = block.get("additional_root_check", False)
    if check is not True and check is not False:
        _fail(path, "certificates.additional_root_check", "must be true or false",
              "write true to accept a new CentralSystemRootCertificate only when the current one signed it")


NETWORKS = ("wlan", "lan", "none")
PHYS = ("LAN8720", "IP101", "RTL8201", "DP83848", "KSZ8041", "KSZ8081")   # the ESP32 port's network.PHY_*
NETWORK_FIELDS = {"wlan": ("type", "hostname"), "lan": ("type", "hostname", "phy", "mdc", "mdio", "power", "phy_addr"),
                  "none": ("type",)}


def _pin_field(path, where, value, fix):
    if value is True or value is False or not isinstance(value, int) or not 0 <= value <= 48:
        _fail(path, where, "must be a GPIO number from 0 to 48", fix)


def _check_network(board, path):
    """The optional "network" block: how a MicroPython board reaches the CSMS (Wi-Fi station or Ethernet)."""
    net = board.get("network")
    if net is None:
        return
    example = '{"type": "wlan"} or {"type": "lan", "phy": "LAN8720", "mdc": 23, "mdio": 18, "power": 12}'
    if not isinstance(net, dict) or net.get("type") not in NETWORKS:
        _fail(path, "network.type", "must be wlan, lan or none", "use " + example)
    kind = net["type"]
    if kind != "none" and board.get("hal") != "micropython":
        _fail(path, "network", "is only brought up by a MicroPython board (hal micropython)",
              'remove it (the operating system configures the network) or use {"type": "none"}')
    for field in net:
        if field not in NETWORK_FIELDS[kind]:
            _fail(path, "network." + field, "is not a field of a " + kind + " network",
                  "use " + ", ".join(NETWORK_FIELDS[kind]))
    hostname = net.get("hostname")
    if hostname is not None and (not isinstance(hostname, str) or not 1 <= len(hostname) <= 32 or
                                 [c for c in hostname if not (c.isalpha() or c.isdigit() or c == "-")]):
        _fail(path, "network.hostname", "must be 1 to 32 letters, digits or '-'", 'use e.g. "station-01"')
    if kind == "lan":
        if net.get("phy", "LAN8720") not in PHYS:
            _fail(path, "network.phy", "must be one of " + ", ".join(PHYS), "give the Ethernet PHY chip of the board")
        for field in ("mdc", "mdio"):
            if field not in net:
                _fail(path, "network." + field, "is missing", "give the GPIO of the PHY's " + field.upper() +
                      " line, e.g. " + example)
            _pin_field(path, "network." + field, net[field], "give the GPIO of the PHY's " + field.upper() + " line")
        if "power" in net:
            _pin_field(path, "network.power", net["power"], "give the GPIO that powers the PHY, or leave it out")
        addr = net.get("phy_addr", 0)
        if addr is True or addr is False or not isinstance(addr, int) or not 0 <= addr <= 31:
            _fail(path, "network.phy_addr", "must be 0 to 31", "give the PHY's address (0 on most boards)")


def load(name_or_path):
    path = name_or_path
    if "/" not in name_or_path and not name_or_path.endswith(".json"):
        path = _here() + "/" + name_or_path + ".json"
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        raise BoardError(path + ": no such board file. Fix: name a board in boards/ (e.g. desktop-sim) "
                         "or give the path to a board JSON file")
    try:
        board = json.loads(text)
    except ValueError as e:
        raise BoardError(path + ": is not valid JSON (" + str(e) + "). Fix: check commas, quotes and braces")
    return check(board, path)
