import { useMemo, useState } from "preact/hooks";
import { href } from "../route";
import type { WorkItem } from "../types";
import type { Actions, ProjectData } from "./ProjectView";

/** Items in no sprint, in backlog order; move them up and down, or add them to a sprint. */
export function Backlog(props: { data: ProjectData; actions: Actions }) {
  const { data, actions } = props;
  const open = data.sprints.filter((s) => s.status === "planned" || s.status === "active");
  const [target, setTarget] = useState<Record<string, string>>({});
  const rows = useMemo(
    () =>
      [...data.items.values()]
        .filter((i) => i.sprint_id === null)
        .sort((a, b) => a.position - b.position || a.item_number - b.item_number),
    [data.items],
  );

  const swap = (index: number, by: number) => {
    const a = rows[index];
    const b = rows[index + by];
    if (!a || !b) return;
    // Take the neighbour's place; positions may repeat, so step past it.
    const position = by < 0 ? Math.max(0, b.position - 1) : b.position + 1;
    void actions.update(a, { position });
  };

  const add = (item: WorkItem) => {
    const sprintId = target[item.id] ?? open[0]?.id;
    if (sprintId) void actions.update(item, { sprint_id: sprintId });
  };

  return (
    <section aria-labelledby="backlog-title" class="page">
      <h2 id="backlog-title">Backlog</h2>
      {rows.length === 0 && <p>Every item is in a sprint.</p>}
      {open.length === 0 && rows.length > 0 && (
        <p class="muted">Plan a sprint (Sprints tab) to add items to it.</p>
      )}
      <ol class="backlog" data-testid="backlog">
        {rows.map((item, index) => (
          <li key={item.id} data-testid={`backlog-${item.key}`}>
            <span class="order">
              <button type="button" class="icon" aria-label={`Move ${item.key} up`} disabled={index === 0} onClick={() => swap(index, -1)}>
                ↑
              </button>
              <button
                type="button"
                class="icon"
                aria-label={`Move ${item.key} down`}
                disabled={index === rows.length - 1}
                onClick={() => swap(index, 1)}
              >
                ↓
              </button>
            </span>
            <a href={href({ page: "project", projectId: data.project.id, tab: "backlog", itemKey: item.key })}>
              <span class="key">{item.key}</span> {item.title}
            </a>
            <span class={`badge ${item.item_type}`}>{item.item_type}</span>
            {item.story_points !== null && <span class="points">{item.story_points} pt</span>}
            {item.item_type !== "epic" && open.length > 0 && (
              <span class="add-to-sprint">
                <label class="sr-only" for={`sprint-for-${item.id}`}>
                  Sprint for {item.key}
                </label>
                <select
                  id={`sprint-for-${item.id}`}
                  value={target[item.id] ?? open[0].id}
                  onChange={(e) => setTarget({ ...target, [item.id]: e.currentTarget.value })}
                >
                  {open.map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.name}
                    </option>
                  ))}
                </select>
                <button type="button" data-testid={`add-to-sprint-${item.key}`} onClick={() => add(item)}>
                  Add to sprint
                </button>
              </span>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
