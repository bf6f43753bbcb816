"""Network bring-up from the board file's "network" block, with reconnect and back-off.

    "network": {"type": "wlan", "hostname": "station-01"}    Wi-Fi station; ssid/password from the settings
    "network": {"type": "lan", "phy": "LAN8720", "mdc": 23, "mdio": 18, "power": 12, "phy_addr": 0}
    no block (or "type": "none")                             the port's own network (the unix port: the host's)

boards/__init__.py checks the block and controller/settings.py the "wifi" settings (check_network: a wlan board
needs them) before the station starts.

`Network(board, settings)`: `up()` says whether the interface has an address; `await connect()` (re)starts it and
waits up to 20 s, with the caller's back-off between attempts. The Wi-Fi credentials come from the settings
("wifi": {"ssid": ..., "password": ...}) so a board file never holds a secret.
"""

import asyncio

from controller import log

WAIT_MS = 20000


class Network:
    def __init__(self, board, wifi=None):
        self.spec = board.get("network") or {"type": "none"}
        self.kind = self.spec.get("type", "none")
        self.wifi = wifi or {}
        self.iface = None
        self.log = log.get("net")

    def up(self):
        if self.kind == "none":
            return True
        return self.iface is not None and self.iface.isconnected()

    def _make(self):
        import network
        if self.spec.get("hostname"):
            try:
                network.hostname(self.spec["hostname"])
            except (AttributeError, OSError, ValueError) as e:
                self.log.warning("network: hostname not set: " + repr(e))
        if self.kind == "wlan":
            iface = network.WLAN(network.STA_IF)
            iface.active(True)
            iface.connect(self.wifi.get("ssid", ""), self.wifi.get("password", ""))
            return iface
        if self.kind == "lan":
            import machine
            s = self.spec
            kw = {"mdc": machine.Pin(s["mdc"]), "mdio": machine.Pin(s["mdio"]),
                  "phy_type": getattr(network, "PHY_" + s.get("phy", "LAN8720")), "phy_addr": s.get("phy_addr", 0)}
            if "power" in s:
                kw["power"] = machine.Pin(s["power"])
            iface = network.LAN(**kw)
            iface.active(True)
            return iface
        raise ValueError("board network.type must be wlan, lan or none, not " + repr(self.kind))

    async def connect(self):
        """(Re)start the interface; True once it has an address."""
        if self.kind == "none":
            return True
        try:
            if self.iface is not None and self.kind == "wlan":
                self.iface.disconnect()
                self.iface.connect(self.wifi.get("ssid", ""), self.wifi.get("password", ""))
            elif self.iface is None:
                self.iface = self._make()
        except Exception as e:
            self.log.warning("network bring-up failed: " + repr(e))
            self.iface = None
            return False
        waited = 0
        while waited < WAIT_MS:
            if self.iface.isconnected():
                self.log.info("network up: " + str(self.iface.ifconfig()[0]))
                return True
            await asyncio.sleep_ms(250)
            waited += 250
        self.log.warning("network: no address after " + str(WAIT_MS // 1000) + " s")
        return False
