"""Device drivers: device protocols (RFID, meters, pilot, relays) over a small dual-target HAL (drivers/hal)."""
