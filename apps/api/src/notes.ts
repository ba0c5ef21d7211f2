import { randomUUID } from "node:crypto";

export interface Note {
  id: string;
  text: string;
  createdAt: string;
}

/** Where notes live. The sample keeps them in memory; swap in a database behind this interface. */
export interface NotesStore {
  list(): Promise<Note[]>;
  get(id: string): Promise<Note | undefined>;
  add(text: string): Promise<Note>;
}

/** Bounded, so a busy sample cannot grow without limit: the oldest note goes first. */
export class MemoryNotesStore implements NotesStore {
  readonly #notes = new Map<string, Note>();
  constructor(
    private readonly capacity = 1_000,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(): Promise<Note[]> {
    return [...this.#notes.values()].reverse();
  }

  async get(id: string): Promise<Note | undefined> {
    return this.#notes.get(id);
  }

  async add(text: string): Promise<Note> {
    const note = { id: randomUUID(), text, createdAt: this.now().toISOString() };
    this.#notes.set(note.id, note);
    if (this.#notes.size > this.capacity) {
      const oldest = this.#notes.keys().next().value;
      if (oldest !== undefined) this.#notes.delete(oldest);
    }
    return note;
  }
}
