"""Station Controller core: the sans-I/O brain of an OCPP 1.6-J charging station.

Everything in this package (except controller/runtime/) runs unchanged on CPython and MicroPython 1.27.
The core takes events and `now` from its caller and returns effects; it never touches a socket, a file or a pin.
"""
