import { BffError, remoteError, type RemoteInit } from "@cognito-bff/client";
import { type FormEvent, useEffect, useState } from "react";

import { bff, describe } from "./bff";

/** One note of the example notes API (examples/notes_api). */
interface Note {
  id: string;
  text: string;
  created_at: string;
}

/** The API's name in BFF_REMOTE_APIS; `bff serve` routes /api/remote/notes/ to the example. */
const API = "notes";

/** The signed-in user's notes, read and written through the BFF's token relay: the BFF
 * attaches the access token, this code never holds one. */
export function Notes() {
  const [notes, setNotes] = useState<Note[] | null>(null);
  const [text, setText] = useState("");
  const [problem, setProblem] = useState("");

  /** The relayed call's answer as JSON, or its failure as a sentence for the user. */
  async function call<T>(path: string, init?: RemoteInit): Promise<T | null> {
    setProblem("");
    try {
      const response = await bff.remote(API, path, init);
      const refused = await remoteError(response.clone());
      if (refused) throw refused;
      if (!response.ok) throw new Error(`The notes API answered ${response.status}.`);
      return response.status === 204 ? null : ((await response.json()) as T);
    } catch (e) {
      setProblem(e instanceof BffError || !(e instanceof Error) ? describe(e) : e.message);
      throw e;
    }
  }

  async function load() {
    const answer = await call<{ notes: Note[] }>("notes");
    setNotes(answer?.notes ?? []);
  }

  useEffect(() => {
    load().catch(() => undefined);
  }, []);

  async function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    try {
      await call<Note>("notes", { method: "POST", json: { text } });
      setText("");
      await load();
    } catch {
      // the problem is shown; the text stays for another try
    }
  }

  async function remove(note: Note) {
    try {
      await call<null>(`notes/${encodeURIComponent(note.id)}`, { method: "DELETE" });
      await load();
    } catch {
      // shown above
    }
  }

  return (
    <section aria-labelledby="notes-title">
      <h2 id="notes-title">Your notes</h2>
      <p>Kept by the team's own API; the BFF calls it with your access token.</p>
      {problem && <p className="error" role="alert">{problem}</p>}
      {notes === null ? (
        <p>Loading…</p>
      ) : notes.length === 0 ? (
        <p data-testid="no-notes">No notes yet.</p>
      ) : (
        <ul data-testid="notes">
          {notes.map((note) => (
            <li key={note.id}>
              {note.text}{" "}
              <button type="button" onClick={() => remove(note)} aria-label={`Delete note ${note.text}`}>Delete</button>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={add}>
        <label>New note<input name="note" value={text} maxLength={2000} required onChange={(e) => setText(e.target.value)} /></label>
        <button type="submit">Add note</button>
      </form>
    </section>
  );
}
