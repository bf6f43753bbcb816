// One station of the Node comparison: boot, one status, then a heartbeat every 60 s (bench/fleet_node_compare.py).
module.exports = async (connect) => {
  const cp = await connect(process.env.CSMS_URL + '/' + process.env.CP_ID);
  await cp.sendBootnotification({chargePointVendor: "vendor", chargePointModel: "node-sim"});
  await cp.sendStatusNotification({connectorId: 1, errorCode: "NoError", status: "Available"});
  while (true) { await cp.sleep(60000); await cp.sendHeartbeat(); }
};
