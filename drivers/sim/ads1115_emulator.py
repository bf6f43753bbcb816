"""TI ADS1115 emulated at the I2C byte level, for EmulatedI2C.attach(0x48, ADS1115Emulator(...)).

A write sets the address pointer (first byte, bits 1:0) and, with two more bytes,
writes that register MSB first; a read returns the pointed register MSB first.
Registers: 0x00 conversion (read-only), 0x01 config (power-on 0x8583), 0x02 Lo_thresh
(0x8000), 0x03 Hi_thresh (0x7FFF). Writing config with MODE=1 (single-shot) and OS=1
starts a conversion: OS reads 0 for one conversion time (by the clock; at once
without a clock) and then the conversion register holds the result. In continuous
mode (MODE=0) every conversion-register read is a fresh conversion.

Inputs: `inputs` maps AIN0..3 to functions returning mV at that pin (e.g. an EV's
pilot voltage through the board divider). MUX codes 0-3 are the differential pairs
AIN0-1, AIN0-3, AIN1-3, AIN2-3; 4-7 single-ended AIN0..3. Results are clipped to the
PGA full scale. Fault: `stuck = True` keeps OS at 0 (conversion never finishes).
"""

FSR_MV = (6144, 4096, 2048, 1024, 512, 256, 256, 256)
SPS = (8, 16, 32, 64, 128, 250, 475, 860)
PAIRS = ((0, 1), (0, 3), (1, 3), (2, 3), (0, None), (1, None), (2, None), (3, None))


class ADS1115Emulator:
    def __init__(self, inputs=None, clock=None):
        self.inputs = inputs if inputs is not None else {}
        self.clock = clock
        self.pointer = 0
        self.config = 0x8583
        self.lo_thresh = 0x8000
        self.hi_thresh = 0x7FFF
        self.conversion = 0
        self.conversions = 0
        self.stuck = False
        self._busy_since = None
        self.writes = []            # config words written, for tests

    def _input_mv(self, ch):
        if ch is None:
            return 0
        fn = self.inputs.get(ch)
        return fn() if fn is not None else 0

    def convert(self):
        """Run one conversion with the present config; returns the signed code."""
        mux = (self.config >> 12) & 7
        fsr = FSR_MV[(self.config >> 9) & 7]
        pos, neg = PAIRS[mux]
        mv = self._input_mv(pos) - self._input_mv(neg)
        code = int(round(mv * 32768 / fsr))
        if code > 32767:
            code = 32767
        elif code < -32768:
            code = -32768
        self.conversion = code & 0xFFFF
        self.conversions += 1
        return code

    def _conv_ms(self):
        sps = SPS[(self.config >> 5) & 7]
        return (1000 + sps - 1) // sps

    def _busy(self):
        if self._busy_since is None:
            return False
        if self.stuck:
            return True
        if self.clock is not None and \
                self.clock.ticks_diff(self.clock.ticks_ms(), self._busy_since) < self._conv_ms():
            return True
        self._busy_since = None
        self.convert()
        return False

    def write(self, data):
        data = bytes(data)
        if not data:
            return
        self.pointer = data[0] & 0x03
        if len(data) < 3:
            return
        value = (data[1] << 8) | data[2]
        if self.pointer == 1:
            self.writes.append(value)
            start = value & 0x8000 and value & 0x0100
            self.config = value & 0x7FFF
            if start:
                self._busy_since = self.clock.ticks_ms() if self.clock is not None else 0
                if self.clock is None and not self.stuck:
                    self._busy()
        elif self.pointer == 2:
            self.lo_thresh = value
        elif self.pointer == 3:
            self.hi_thresh = value

    def _register(self):
        if self.pointer == 0:
            if not self.config & 0x0100:
                self.convert()
            else:
                self._busy()
            return self.conversion
        if self.pointer == 1:
            busy = self._busy()
            os_bit = 0 if busy else 0x8000
            return os_bit | (self.config & 0x7FFF)
        if self.pointer == 2:
            return self.lo_thresh
        return self.hi_thresh

    def read(self, n):
        value = self._register()
        out = bytearray()
        while len(out) < n:
            out.append(value >> 8)
            out.append(value & 0xFF)
        return bytes(out[:n])
