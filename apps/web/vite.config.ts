import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";
import { CONFIG_SCRIPT_HEADERS, renderConfigScript } from "./src/server/runtime-config.js";

/** In `npm run dev`, Vite serves `/config.js` the way the production server does. */
function runtimeConfig(): Plugin {
  return {
    name: "runtime-config",
    configureServer(server) {
      const script = renderConfigScript({
        apiUrl: process.env.API_URL ?? "http://localhost:8080",
        environment: "development",
      });
      server.middlewares.use("/config.js", (_req, res) => {
        res.writeHead(200, CONFIG_SCRIPT_HEADERS).end(script);
      });
    },
  };
}

export default defineConfig({
  plugins: [react(), runtimeConfig()],
  build: { outDir: "dist/client", emptyOutDir: true, sourcemap: false },
  server: { port: 5173, strictPort: true },
});
