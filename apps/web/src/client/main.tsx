import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app.js";
import { readRuntimeConfig } from "./config.js";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");
const config = readRuntimeConfig();

createRoot(root).render(
  <StrictMode>
    <App apiUrl={config.apiUrl} environment={config.environment} />
  </StrictMode>,
);
