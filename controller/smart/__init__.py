"""Smart-charging schedule maths, pure (no messages, no I/O): profile.py and composite.py."""
