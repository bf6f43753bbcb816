"""PN532 emulator speaking HSU frames byte for byte (for EmulatedSerial, a pty bridge or the desktop simulator).

Behaviour modelled:
* starts asleep: frames are ignored until a 0x55 wake-up byte arrives (as after power-up in HSU mode);
* every valid host frame is ACKed, then answered; a frame with a bad LCS/DCS is ignored (no ACK);
* GetFirmwareVersion (IC 0x32, 1.6, support 7), SAMConfiguration, RFConfiguration (item 5 MaxRetries is kept),
  InListPassiveTarget (1 target at 106 kbps type A) and InRelease; anything else gets the error frame 7F;
* InListPassiveTarget with no card answers NbTg = 0 when MxRtyPassiveActivation is finite, and stays pending
  (answers when a card arrives) with the power-on default 0xFF;
* a host ACK aborts a pending command; a host NACK repeats the last response.

Test controls: `present_card(uid, atqa=None, sak=None)`, `remove_card()`, `go_dead()` / `revive()` (revive = power
cycle, asleep again), `bad_checksum(n)`, `bad_length_checksum(n)`, `garbage(data, n)`, `error_frame(n)`,
`no_response(n)` (ACK but no response), `no_ack(n)`.
"""

from drivers.rfid import pn532_frame as pf
from drivers.sim.byte_device import ByteDevice


def _uid_bytes(uid):
    if isinstance(uid, str):
        uid = uid.replace(":", "").replace(" ", "").replace("-", "")
        return bytes([int(uid[i:i + 2], 16) for i in range(0, len(uid), 2)])
    return bytes(uid)


class PN532Emulator(ByteDevice):
    def __init__(self, firmware=(0x32, 0x01, 0x06, 0x07)):
        super().__init__()
        self.firmware = bytes(firmware)
        self.asleep = True
        self.dead = False
        self.sam_configured = False
        self.passive_retries = 0xFF
        self.card = None
        self.commands = []           # command codes received, for tests
        self._parser = pf.FrameParser()
        self._last_response = b""
        self._pending_list = False

    # -- controls ------------------------------------------------------------------------------------------
    def present_card(self, uid, atqa=None, sak=None):
        uid = _uid_bytes(uid)
        if atqa is None:
            atqa = 0x0004 if len(uid) == 4 else 0x0044
        if sak is None:
            sak = 0x08 if len(uid) == 4 else 0x00
        self.card = (uid, atqa, sak)
        if self._pending_list:
            self._pending_list = False
            self._respond(pf.IN_LIST_PASSIVE_TARGET, self._target_payload())

    def remove_card(self):
        self.card = None

    def go_dead(self):
        self.dead = True
        self._out = b""

    def revive(self):
        self.dead = False
        self.asleep = True
        self.sam_configured = False
        self.passive_retries = 0xFF
        self._pending_list = False
        self._parser.clear()

    def bad_checksum(self, count=1):
        self._add("dcs", count)

    def bad_length_checksum(self, count=1):
        self._add("lcs", count)

    def garbage(self, data=b"\xa5\x00\x13\xff\x42", count=1):
        self._add("garbage", count, bytes(data))

    def error_frame(self, count=1):
        self._add("error", count)

    def no_response(self, count=1):
        self._add("silent", count)

    def no_ack(self, count=1):
        self._add("noack", count)

    # -- wire ----------------------------------------------------------------------------------------------
    def receive(self, data):
        if self.dead:
            return
        if self.asleep:
            i = data.find(b"\x55")
            if i < 0:
                return
            self.asleep = False
            data = data[i:]
        self._parser.feed(data)     # the 55 55 wake-up bytes are skipped as garbage by the parser
        while True:
            item = self._parser.next()
            if item is None:
                return
            self._handle(item)

    def _send(self, frame):
        garbage = self._take("garbage")
        if garbage:
            frame = garbage + frame
        self._out += frame

    def _respond(self, cmd, payload):
        if self._take("silent"):
            return
        if self._take("error"):
            self._last_response = pf.ERROR_FRAME
            self._send(pf.ERROR_FRAME)
            return
        frame = pf.response_frame(cmd, payload)
        self._last_response = frame
        if self._take("dcs"):
            frame = frame[:-2] + bytes([(frame[-2] + 1) & 0xFF]) + frame[-1:]
        elif self._take("lcs"):
            frame = frame[:4] + bytes([(frame[4] + 1) & 0xFF]) + frame[5:]
        self._send(frame)

    def _handle(self, item):
        kind, tfi, data = item
        if kind == pf.ACK:
            self._pending_list = False
            return
        if kind == pf.NACK:
            if self._last_response:
                self._out += self._last_response
            return
        if kind != pf.DATA or tfi != pf.TFI_HOST or not data:
            return
        if self._take("noack"):
            return
        self._out += pf.ACK_FRAME
        cmd, params = data[0], data[1:]
        self.commands.append(cmd)
        self._pending_list = False
        if cmd == pf.GET_FIRMWARE_VERSION:
            self._respond(cmd, self.firmware)
        elif cmd == pf.SAM_CONFIGURATION and len(params) >= 1:
            self.sam_configured = True
            self._respond(cmd, b"")
        elif cmd == pf.RF_CONFIGURATION and len(params) >= 1:
            if params[0] == 0x05 and len(params) >= 4:
                self.passive_retries = params[3]
            self._respond(cmd, b"")
        elif cmd == pf.IN_LIST_PASSIVE_TARGET and len(params) >= 2 and params[1] == 0x00:
            if self.card is not None:
                self._respond(cmd, self._target_payload())
            elif self.passive_retries == 0xFF:
                self._pending_list = True
            else:
                self._respond(cmd, b"\x00")
        elif cmd == pf.IN_RELEASE:
            self._respond(cmd, b"\x00")
        else:
            self._last_response = pf.ERROR_FRAME
            self._send(pf.ERROR_FRAME)

    def _target_payload(self):
        uid, atqa, sak = self.card
        return bytes([0x01, 0x01, atqa >> 8, atqa & 0xFF, sak, len(uid)]) + uid
