/**
 * What the browser learns when the page loads, from the server's environment at container start:
 * one image serves every environment. Nothing secret belongs here; the browser sees all of it.
 */
export interface RuntimeConfig {
  apiUrl: string;
  environment: string;
}

export const CONFIG_GLOBAL = "__APP_CONFIG__";

/**
 * The headers of `/config.js`, from the production server and from Vite in `npm run dev` alike:
 * never cached, because the same URL answers differently in every environment.
 */
export const CONFIG_SCRIPT_HEADERS = {
  "content-type": "text/javascript; charset=utf-8",
  "cache-control": "no-store",
};

/** The body of `/config.js`, loaded by index.html before the app starts. */
export function renderConfigScript(config: RuntimeConfig): string {
  // JSON.stringify cannot close the script element: "<" is escaped too.
  const json = JSON.stringify(config).replace(/</g, "\\u003c");
  return `window.${CONFIG_GLOBAL}=Object.freeze(${json});\n`;
}
