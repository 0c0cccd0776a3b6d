// Stands in for the `debug` package in the bundles (scripts/build.mjs aliases it here). The proxy agent logs
// through it, and with DEBUG=* set in the user's shell, the real one would print to stderr what the agent
// was given: codex never hands it a password, but nothing it logs is meant for the user either.
function createDebug() {
  const log = () => {};
  log.enabled = false;
  log.extend = createDebug;
  return log;
}
createDebug.enable = () => {};
createDebug.disable = () => "";
createDebug.enabled = () => false;
module.exports = createDebug;
module.exports.default = createDebug;
