"""Energy meters: Modbus RTU (Eastron SDM630/SDM120, ABB B23) and the INA226 DC monitor, all reporting integer Wh."""
