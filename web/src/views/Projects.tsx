import { useEffect, useState } from "preact/hooks";
import { api, listAll } from "../api";
import { go, href } from "../route";
import type { Project } from "../types";
import { Field, FormError } from "./forms";

export function Projects() {
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [key, setKey] = useState("");
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.title = "Projects — pm";
    listAll<Project>("/projects").then(setProjects, setLoadError);
  }, []);

  const create = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const project = await api<Project>("POST", "/projects", {
        key: key.trim().toUpperCase(),
        title: title.trim(),
        description: description.trim() || null,
      });
      go({ page: "project", projectId: project.id, tab: "board", itemKey: null });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="page">
      <h1>Projects</h1>
      <FormError error={loadError} />
      {projects === null && !loadError && <p aria-live="polite">Loading…</p>}
      {projects && projects.length === 0 && <p>No projects yet: create the first one below.</p>}
      {projects && projects.length > 0 && (
        <ul class="projects" data-testid="project-list">
          {projects.map((p) => (
            <li key={p.id}>
              <a
                href={href({ page: "project", projectId: p.id, tab: "board", itemKey: null })}
                data-testid={`project-${p.key}`}
              >
                <span class="key">{p.key}</span> {p.title}
              </a>
              {p.description && <span class="muted"> — {p.description}</span>}
            </li>
          ))}
        </ul>
      )}
      <form class="card-form" onSubmit={create} aria-labelledby="new-project">
        <h2 id="new-project">New project</h2>
        <Field label="Key (2–10 capitals, prefixes item keys)" id="project-key">
          <input
            id="project-key"
            data-testid="project-key"
            required
            minLength={2}
            maxLength={10}
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
          />
        </Field>
        <Field label="Title" id="project-title">
          <input
            id="project-title"
            data-testid="project-title"
            required
            maxLength={500}
            value={title}
            onInput={(e) => setTitle(e.currentTarget.value)}
          />
        </Field>
        <Field label="Description (optional)" id="project-description">
          <input
            id="project-description"
            value={description}
            onInput={(e) => setDescription(e.currentTarget.value)}
          />
        </Field>
        <FormError error={error} />
        <button type="submit" data-testid="create-project" disabled={busy}>
          Create project
        </button>
      </form>
    </div>
  );
}
