import { readFileSync } from "node:fs";
import path from "node:path";
import express, { Router } from "express";

const IMMUTABLE = "public, max-age=31536000, immutable";
const BRIEFLY = "public, max-age=300";
const NEVER = "no-store";

/**
 * A single-page app's built files (what `vite build` wrote: index.html and assets/), as every web
 * app of the platform serves them: hashed assets under /assets/ cached for a year as immutable,
 * other files for five minutes, page routes (no file extension, a browser asking for HTML) answered
 * with index.html and never cached. Anything else falls through, so a missing file or an API-like
 * request reaches the app's JSON 404.
 */
export function staticSite(options: { dir: string }): Router {
  const indexHtml = readFileSync(path.join(options.dir, "index.html"));
  const assets = path.join(options.dir, "assets") + path.sep;
  const router = Router();
  router.use(
    express.static(options.dir, {
      index: false,
      setHeaders(res, filePath) {
        // Vite puts a content hash in every file name under assets/: they never change.
        res.setHeader("cache-control", filePath.startsWith(assets) ? IMMUTABLE : BRIEFLY);
      },
    }),
  );
  router.get(/^[^.]*$/, (req, res, next) => {
    if (!req.accepts("html")) return next();
    res.setHeader("cache-control", NEVER);
    res.type("html").send(indexHtml);
  });
  return router;
}
