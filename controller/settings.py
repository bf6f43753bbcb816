"""The station settings file (JSON): where the CSMS is, who we are, how we connect, which board we run on.

`load(path)` returns a dict of checked settings or raises SettingsError whose message names the file, the
field, what is wrong and how to fix it. Both targets read the same file.
"""

import json

from controller.version import VERSION

DEFAULTS = {
    "charge_point_id": None,
    "csms_url": None,
    "csms_url_tls": None,
    "security_profile": 0,
    "authorization_key": None,
    "tls": {},
    "board": "desktop-sim",
    "data_dir": "var/station",
    "identity": {},
    "sim_api_port": 0,
    "sim_time_scale": 1,
    "log_level": "info",
    "reconnect": {"min_s": 1, "max_s": 60},
    "dashboard": {"enabled": True, "bind": "127.0.0.1", "port": 8080, "password_hash": None},
    "firmware": {"ca_file": None, "timeout_s": 60, "health_check_s": 300, "accept_unsigned": True},
    "wifi": None,
}
LOOPBACK = ("127.0.0.1", "localhost", "::1")

IDENTITY_DEFAULTS = {"vendor": "StationController", "model": "SC-Sim", "serial": None, "firmware_version": VERSION}
# firmware_version defaults to the code's own (controller/version.py, `stationctl --version`); a test rig may set a
# factory version, and an installed firmware image reports its own (docs/firmware.md)
IDENTITY_LIMITS = {"vendor": 20, "model": 20, "serial": 25, "firmware_version": 50, "box_serial": 25,
                   "iccid": 20, "imsi": 20, "meter_type": 25, "meter_serial": 25}
LOG_LEVELS = ("debug", "info", "warning", "error")


class SettingsError(Exception):
    pass


def _fail(path, field, problem, fix):
    raise SettingsError(path + ": field '" + field + "': " + problem + ". Fix: " + fix)


def _want(path, data, field, kinds, fix):
    value = data[field]
    if value is True or value is False:
        ok = bool in kinds
    else:
        ok = isinstance(value, kinds)
    if not ok:
        _fail(path, field, "has the wrong type (" + type(value).__name__ + ")", fix)
    return value


def check(data, path="<settings>"):
    if not isinstance(data, dict):
        raise SettingsError(path + ": the file must hold a JSON object. Fix: start from docs/configuration.md")
    for field in data:
        if field not in DEFAULTS:
            _fail(path, field, "is not a known setting", "remove it or check its spelling against "
                  "docs/configuration.md (known: " + ", ".join(sorted(DEFAULTS)) + ")")
    out = {}
    for field in DEFAULTS:
        out[field] = data.get(field, DEFAULTS[field])
    cp_id = _want(path, out, "charge_point_id", (str,), 'set it to the identity the CSMS knows, e.g. "CP001"')
    if not 1 <= len(cp_id) <= 48:
        _fail(path, "charge_point_id", "must be 1 to 48 characters", "use a shorter identity")
    url = _want(path, out, "csms_url", (str,), 'set it to the CSMS endpoint, e.g. "ws://csms.example:9000/ocpp"')
    profile = _want(path, out, "security_profile", (int,), "use 0, 1, 2 or 3")
    if profile not in (0, 1, 2, 3):
        _fail(path, "security_profile", "must be 0, 1, 2 or 3", "use 0 (none), 1 (Basic auth), 2 (TLS + Basic "
              "auth) or 3 (TLS with client certificate)")
    tls_url = out["csms_url_tls"]
    if tls_url is not None and (not isinstance(tls_url, str) or not tls_url.startswith("wss://")):
        _fail(path, "csms_url_tls", "must be a wss:// URL (security profiles 2 and 3 never use ws://)",
              "write the CSMS's TLS endpoint, e.g. wss://csms.example:443/ocpp, or leave it out")
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in ("ws", "wss"):
        _fail(path, "csms_url", "must start with ws:// or wss://", "write the full URL, e.g. ws://host:9000/ocpp")
    if profile >= 2 and scheme != "wss" and tls_url is None:
        _fail(path, "csms_url", "security profile " + str(profile) + " needs TLS", "use a wss:// URL")
    if profile <= 1 and scheme != "ws":
        _fail(path, "csms_url", "security profile " + str(profile) + " is without TLS",
              "use a ws:// URL, or raise security_profile to 2 or 3")
    key = out["authorization_key"]
    if key is not None:
        _want(path, out, "authorization_key", (str,), "write the key as 32 to 40 hex digits")
        if not 32 <= len(key) <= 40 or len(key) % 2 or any(ch not in "0123456789abcdefABCDEF" for ch in key):
            _fail(path, "authorization_key", "must be 32 to 40 hex digits (16 to 20 bytes)",
                  "write the Basic-auth password as hex, e.g. the output of `openssl rand -hex 20`")
    if profile in (1, 2) and key is None:
        _fail(path, "authorization_key", "is required for security profile " + str(profile),
              "set the Basic-auth password as 32 to 40 hex digits")
    tls = _want(path, out, "tls", (dict,), 'use an object such as {"ca_file": "csms-root.pem"}')
    for field in tls:
        if field not in ("ca_file", "client_cert", "client_key"):
            _fail(path, "tls." + field, "is not a known TLS setting", "use ca_file, client_cert and client_key")
        if not isinstance(tls[field], str):
            _fail(path, "tls." + field, "must be a file path", "write the path as a string")
    if profile >= 2 and "ca_file" not in tls:
        _fail(path, "tls.ca_file", "is required for security profile " + str(profile),
              "point it at the CSMS root certificate (PEM)")
    if profile == 3 and ("client_cert" not in tls or "client_key" not in tls):
        _fail(path, "tls.client_cert", "security profile 3 needs tls.client_cert and tls.client_key",
              "point them at the station's certificate and private key (PEM)")
    _want(path, out, "board", (str,), 'name a board in boards/ (e.g. "desktop-sim") or a path to a board file')
    _want(path, out, "data_dir", (str,), "give a directory path where the station may keep its state")
    ident = _want(path, out, "identity", (dict,), 'use an object such as {"vendor": "Acme", "model": "X1"}')
    merged = {}
    for field in IDENTITY_DEFAULTS:
        merged[field] = IDENTITY_DEFAULTS[field]
    for field in ident:
        if field not in IDENTITY_LIMITS:
            _fail(path, "identity." + field, "is not a known identity field",
                  "use " + ", ".join(sorted(IDENTITY_LIMITS)))
        value = ident[field]
        if not isinstance(value, str) or not 1 <= len(value) <= IDENTITY_LIMITS[field]:
            _fail(path, "identity." + field, "must be a string of 1 to " + str(IDENTITY_LIMITS[field]) +
                  " characters (the BootNotification limit)", "shorten it")
        merged[field] = value
    if merged["serial"] is None:
        merged["serial"] = cp_id[:25]
    out["identity"] = merged
    port = _want(path, out, "sim_api_port", (int,), "use a TCP port number, or 0 to pick a free one")
    if not 0 <= port <= 65535:
        _fail(path, "sim_api_port", "must be 0 to 65535", "use a TCP port number, or 0 to pick a free one")
    scale = out["sim_time_scale"]
    if scale is True or scale is False or not isinstance(scale, (int, float)) or not 1 <= scale <= 100:
        _fail(path, "sim_time_scale", "must be a number from 1 to 100", "use 1 (real time), or e.g. 20 to run the "
              "simulated station and its world 20 times faster (desktop-sim only)")
    if out["log_level"] not in LOG_LEVELS:
        _fail(path, "log_level", "must be one of " + ", ".join(LOG_LEVELS), 'use "info"')
    rc = _want(path, out, "reconnect", (dict,), 'use an object such as {"min_s": 1, "max_s": 60}')
    for field in ("min_s", "max_s"):
        value = rc.get(field, DEFAULTS["reconnect"][field])
        if value is True or value is False or not isinstance(value, (int, float)) or value <= 0:
            _fail(path, "reconnect." + field, "must be a positive number of seconds", "use e.g. 1 and 60")
        rc[field] = value
    out["dashboard"] = _dashboard(path, out)
    out["firmware"] = _firmware(path, out)
    _wifi(path, out["wifi"])
    return out


WIFI_EXAMPLE = '{"ssid": "depot", "password": "8 to 63 characters"}'


def _wifi(path, wifi):
    """The Wi-Fi network a MicroPython board with "network": {"type": "wlan"} joins (WPA2-PSK or open)."""
    if wifi is None:
        return
    if not isinstance(wifi, dict):
        _fail(path, "wifi", "must be an object", "use " + WIFI_EXAMPLE)
    for field in wifi:
        if field not in ("ssid", "password"):
            _fail(path, "wifi." + field, "is not a Wi-Fi setting", "use ssid and password, e.g. " + WIFI_EXAMPLE)
    ssid = wifi.get("ssid")
    if not isinstance(ssid, str) or not 1 <= len(ssid.encode()) <= 32:
        _fail(path, "wifi.ssid", "must be the network name, 1 to 32 bytes", "write the SSID as the access point "
              "shows it, e.g. " + WIFI_EXAMPLE)
    password = wifi.get("password", "")
    if not isinstance(password, str):
        _fail(path, "wifi.password", "must be a string", 'write the passphrase in quotes, or "" for an open network')
    hex_key = len(password) == 64 and not [c for c in password if c not in "0123456789abcdefABCDEF"]
    if password and not hex_key and not (8 <= len(password) <= 63 and
                                         not [c for c in password if not 32 <= ord(c) <= 126]):
        _fail(path, "wifi.password", "must be 8 to 63 printable ASCII characters (WPA2), 64 hex digits, or empty "
              "for an open network", "check the passphrase of the access point")
    wifi["password"] = password


def check_network(settings, board, path="<settings>"):
    """The settings a board's network needs: Wi-Fi credentials for a "wlan" board (boards/__init__.py checks the
    board's own "network" block)."""
    net = board.get("network") or {}
    if net.get("type") == "wlan" and settings.get("wifi") is None:
        _fail(path, "wifi", "is missing: board " + str(board.get("name")) + " connects over Wi-Fi",
              "add the network to join, e.g. \"wifi\": " + WIFI_EXAMPLE)


def _firmware(path, out):
    """File transfers (firmware, diagnostics) and the health check after an install (docs/firmware.md)."""
    given = _want(path, out, "firmware", (dict,), 'use an object such as {"timeout_s": 60}')
    merged = {}
    for field in DEFAULTS["firmware"]:
        merged[field] = given.get(field, DEFAULTS["firmware"][field])
    for field in given:
        if field not in merged:
            _fail(path, "firmware." + field, "is not a known firmware setting", "use " + ", ".join(sorted(merged)))
    if merged["ca_file"] is not None and not isinstance(merged["ca_file"], str):
        _fail(path, "firmware.ca_file", "must be a file path", "point it at the PEM file of the CAs that sign "
              "your FTPS/HTTPS file servers, or leave it out for the system's CAs")
    for field in ("timeout_s", "health_check_s"):
        value = merged[field]
        if value is True or value is False or not isinstance(value, (int, float)) or value <= 0:
            _fail(path, "firmware." + field, "must be a positive number of seconds", "use e.g. 60 and 300")
    if merged["accept_unsigned"] is not True and merged["accept_unsigned"] is not False:
        _fail(path, "firmware.accept_unsigned", "must be true or false", "use false to take signed firmware only "
              "(SignedUpdateFirmware), true to keep plain UpdateFirmware too")
    return merged


def _dashboard(path, out):
    given = _want(path, out, "dashboard", (dict,), 'use an object such as {"bind": "127.0.0.1", "port": 8080}')
    merged = {}
    for field in DEFAULTS["dashboard"]:
        merged[field] = given.get(field, DEFAULTS["dashboard"][field])
    for field in given:
        if field not in merged:
            _fail(path, "dashboard." + field, "is not a known dashboard setting",
                  "use " + ", ".join(sorted(merged)))
    if merged["enabled"] is not True and merged["enabled"] is not False:
        _fail(path, "dashboard.enabled", "must be true or false", "write true or false")
    bind = merged["bind"]
    if not isinstance(bind, str) or not bind:
        _fail(path, "dashboard.bind", "must be an address", 'use "127.0.0.1", or "0.0.0.0" for every interface')
    port = merged["port"]
    if port is True or port is False or not isinstance(port, int) or not 0 <= port <= 65535:
        _fail(path, "dashboard.port", "must be 0 to 65535", "use a TCP port number, e.g. 8080")
    stored = merged["password_hash"]
    if stored is not None and (not isinstance(stored, str) or len(stored.split("$")) != 4 or
                               not stored.startswith("pbkdf2_sha256$")):
        _fail(path, "dashboard.password_hash", "is not a password hash",
              "make one with `stationctl dashboard-password` and paste its output")
    beyond_loopback = bind not in LOOPBACK and not bind.startswith("127.")
    if merged["enabled"] and beyond_loopback and stored is None:
        _fail(path, "dashboard.password_hash", "is required to serve the dashboard on " + bind +
              " (beyond this machine)", "make one with `stationctl dashboard-password`, or bind 127.0.0.1")
    return merged


def load(path):
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        raise SettingsError(path + ": cannot be read (" + str(e) + "). Fix: check the path given with --config")
    try:
        data = json.loads(text)
    except ValueError as e:
        raise SettingsError(path + ": is not valid JSON (" + str(e) + "). Fix: check commas, quotes and braces")
    return check(data, path)
