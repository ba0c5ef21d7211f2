import { HttpError } from "@repo/server-kit/errors";
import { Router } from "express";
import { z } from "zod";
import type { NotesStore } from "../notes.js";

export interface Release {
  name: string;
  version: string;
  commit: string;
  environment: string;
}

const newNote = z.object({ text: z.string().trim().min(1).max(500) }).strict();

/** The API the web app uses, versioned so that it can change without breaking old clients. */
export function v1Routes(deps: {
  release: Release;
  notes: NotesStore;
  uptimeSeconds: () => number;
}): Router {
  const router = Router();

  router.get("/info", (_req, res) => {
    res.setHeader("cache-control", "no-store");
    res.json({ ...deps.release, uptimeSeconds: Math.round(deps.uptimeSeconds()) });
  });

  router.get("/notes", async (_req, res) => {
    res.json({ items: await deps.notes.list() });
  });

  router.get("/notes/:id", async (req, res) => {
    const note = await deps.notes.get(req.params.id);
    if (!note) throw new HttpError(404, "not_found", `No note with id "${req.params.id}".`);
    res.json(note);
  });

  router.post("/notes", async (req, res) => {
    const parsed = newNote.safeParse(req.body);
    if (!parsed.success) {
      throw new HttpError(400, "validation_failed", "The note is not valid.", {
        details: parsed.error.issues.map((issue) => ({
          field: issue.path.join(".") || "(body)",
          message: issue.message,
        })),
      });
    }
    const note = await deps.notes.add(parsed.data.text);
    res.status(201).location(`/v1/notes/${note.id}`).json(note);
  });

  return router;
}
