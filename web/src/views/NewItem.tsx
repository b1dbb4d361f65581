import { useState } from "preact/hooks";
import { api } from "../api";
import type { ItemType, WorkItem } from "../types";
import { FormError } from "./forms";
import type { Actions, ProjectData } from "./ProjectView";

/** Create an epic, story or task in the project (it starts in the first lane, in no sprint). */
export function NewItem(props: { data: ProjectData; actions: Actions }) {
  const [type, setType] = useState<ItemType>("story");
  const [title, setTitle] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const submitted = title;
    try {
      const item = await api<WorkItem>("POST", `/projects/${props.data.project.id}/work-items`, {
        item_type: type,
        title: submitted.trim(),
      });
      props.actions.saved(item);
      setTitle((now) => (now === submitted ? "" : now)); // keep what was typed meanwhile
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="new-item" onSubmit={submit} aria-label="New item">
      <label>
        Type
        <select data-testid="new-item-type" value={type} onChange={(e) => setType(e.currentTarget.value as ItemType)}>
          <option value="story">Story</option>
          <option value="task">Task</option>
          <option value="epic">Epic</option>
        </select>
      </label>
      <label class="grow">
        Title
        <input
          data-testid="new-item-title"
          required
          maxLength={500}
          value={title}
          onInput={(e) => setTitle(e.currentTarget.value)}
        />
      </label>
      <button type="submit" data-testid="create-item" disabled={busy}>
        Add item
      </button>
      <FormError error={error} />
    </form>
  );
}
