"""RFID readers: PN532 (ISO 14443A over HSU), RDM6300 / ID-12LA (EM4100, 125 kHz), idTag formation."""
