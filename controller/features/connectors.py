"""Connector facts from the hardware: cable plugged or not, faults on a connector or on the whole station.

{"type": "hardware_ready"} says the hardware's first readings have all been given: only then are statuses
reported. A connector stays Faulted while any source ("pilot", "contactor", "rcd", ...) still reports a fault.

Events (dicts): {"type": "plug"|"unplug", "connector": n} (an unplug with "side": "ev" leaves the cable in a
socket); {"type": "ev_suspended"|"ev_resumed", "connector": n}; {"type": "fault", "connector": n (0 = station),
"error_code": OCPP ChargePointErrorCode, "info": text, "source": what}; {"type": "fault_cleared", "connector": n,
"source": what}.
"""

from controller.feature import Feature

ERROR_CODES = ("ConnectorLockFailure", "EVCommunicationError", "GroundFailure", "HighTemperature",
               "InternalError", "LocalListConflict", "OtherError", "OverCurrentFailure", "OverVoltage",
               "PowerMeterFailure", "PowerSwitchFailure", "ReaderFailure", "ResetFailure", "UnderVoltage",
               "WeakSignal")


class Connectors(Feature):
    NAME = "connectors"

    def on_event(self, event, now):
        kind = event.get("type")
        if kind == "hardware_ready":
            self.st.hardware_known = True
            return
        c = self.st.connector(event.get("connector", 0))
        if c is None:
            return
        if kind == "plug":
            c.plugged = True
            c.cable_in = True
        elif kind == "unplug":
            c.plugged = False
            if event.get("side") != "ev":
                c.cable_in = False
            if not c.cable_in:
                c.finishing = False
                c.lock_fault = False
        elif kind == "ev_suspended":
            c.ev_suspended = True
        elif kind == "ev_resumed":
            c.ev_suspended = False
        elif kind == "fault":
            code = event.get("error_code")
            if code not in ERROR_CODES:
                code = "OtherError"
            c.faults[event.get("source", "")] = (code, event.get("info"))
            c.fault = c.faults[event.get("source", "")]
            self.st.log.warning("fault on connector " + str(c.id) + ": " + code +
                                (" (" + str(event.get("info")) + ")" if event.get("info") else ""))
        elif kind == "fault_cleared":
            c.faults.pop(event.get("source", ""), None)
            c.fault = None
            for source in c.faults:
                c.fault = c.faults[source]
