import { freePort } from "@repo/test-kit/free-port";
import {
  CHROMIUM_ARGS,
  CHROMIUM_FIX,
  chromiumMissing,
  chromiumPath,
  DOCKER_FIX,
  dockerMissing,
  toolGate,
} from "@repo/test-kit/tools";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage, removeAllContainers, runContainer, waitForHttp } from "../docker.js";

const ready =
  toolGate("container", dockerMissing(), DOCKER_FIX) &&
  toolGate("browser", chromiumMissing(), CHROMIUM_FIX);

describe.skipIf(!ready)("the web page in a real browser", () => {
  // A name only this run's api container knows: seeing it on the page proves the data came from it.
  const environment = `e2e-${Date.now().toString(36)}`;
  let webUrl = "";
  let apiUrl = "";

  beforeAll(async () => {
    const [api, web] = await Promise.all([
      buildImage("api", "repo-e2e/api:test", { GIT_COMMIT: "b10e5ee" }),
      buildImage("web", "repo-e2e/web:test", { GIT_COMMIT: "b10e5ee" }),
    ]);
    // Each container must know the other's URL when it starts: choose both ports first.
    const [apiPort, webPort] = [await freePort(), await freePort()];
    apiUrl = `http://127.0.0.1:${apiPort}`;
    webUrl = `http://127.0.0.1:${webPort}`;
    await runContainer({
      image: api.tag,
      hostPort: apiPort,
      env: { CORS_ORIGINS: webUrl, DEPLOY_ENV: environment },
    });
    await runContainer({
      image: web.tag,
      hostPort: webPort,
      env: { API_URL: apiUrl, DEPLOY_ENV: "e2e" },
    });
    await Promise.all([waitForHttp(`${apiUrl}/healthz`), waitForHttp(`${webUrl}/healthz`)]);
  });
  afterAll(removeAllContainers);

  it("shows the api's info and health, read from the api container at the URL given at start", async () => {
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(message.text());
      });
      page.on("pageerror", (error) => problems.push(error.message));

      await page.goto(webUrl);
      await page.getByTestId("api-environment").getByText(environment).waitFor({ timeout: 15_000 });
      expect(await page.getByTestId("health").textContent()).toBe("healthy");
      const info = await page.getByTestId("api-info").textContent();
      expect(info).toContain("b10e5ee");
      expect(await page.textContent("header")).toContain(apiUrl);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it("shows a clear error when the api refuses the page's origin", async () => {
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
    try {
      // The same web image, pointed at the same api, but from an origin the api does not allow.
      const other = await runContainer({ image: "repo-e2e/web:test", env: { API_URL: apiUrl } });
      await waitForHttp(`${other.url}/healthz`);
      const page = await browser.newPage();
      await page.goto(other.url);
      const alert = page.getByRole("alert");
      await alert.waitFor({ timeout: 15_000 });
      expect(await alert.textContent()).toMatch(/Could not reach .*CORS_ORIGINS/);
    } finally {
      await browser.close();
    }
  });
});
