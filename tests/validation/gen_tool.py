"""Loads tools/gen_schemas.py as a module for the tests (tools/ is a folder of scripts)."""

import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "tools", "gen_schemas.py")
GENERATED = os.path.join(ROOT, "controller", "ocpp_schemas.py")

_spec = importlib.util.spec_from_file_location("gen_schemas_under_test", SCRIPT)
gen_schemas = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_schemas)
