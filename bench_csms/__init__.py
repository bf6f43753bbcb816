"""Bench CSMS: the OCPP 1.6-J test central system our tests, benchmarks and `stationctl demo` talk to.

CPython only (websockets, jsonschema, cryptography). See docs/bench-csms.md.
"""

from .csms import BenchCSMS, StationCallError
from .ledger import format_entry
from .tls import server_ssl_context
from .validation import check_frame, check_payload, is_rfc3339

__all__ = ["BenchCSMS", "StationCallError", "format_entry", "server_ssl_context", "check_frame",
           "check_payload", "is_rfc3339"]
