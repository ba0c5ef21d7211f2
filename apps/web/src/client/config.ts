import { CONFIG_GLOBAL, type RuntimeConfig } from "../server/runtime-config.js";

declare global {
  interface Window {
    [CONFIG_GLOBAL]?: RuntimeConfig;
  }
}

/** The runtime config the server wrote into `/config.js`; a clear error when it is missing. */
export function readRuntimeConfig(source: Window = window): RuntimeConfig {
  const config = source[CONFIG_GLOBAL];
  if (!config || typeof config.apiUrl !== "string") {
    throw new Error(
      "Runtime config is missing: /config.js did not load, so the API's URL is unknown.",
    );
  }
  return config;
}
