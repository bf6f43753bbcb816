"""Power-path actuators with feedback: contactor and cable lock."""
