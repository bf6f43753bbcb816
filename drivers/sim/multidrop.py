"""Several emulated devices on one serial line (an RS-485 multi-drop bus): all hear every byte, all may answer."""


class MultiDrop:
    def __init__(self, devices=()):
        self.devices = list(devices)

    def add(self, device):
        self.devices.append(device)
        return device

    def receive(self, data):
        for d in self.devices:
            d.receive(data)

    def pending(self):
        out = b""
        for d in self.devices:
            out += d.pending()
        return out
