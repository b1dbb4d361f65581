import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { href, type Tab } from "../route";
import type { WorkItem } from "../types";
import { Card } from "./Card";
import type { Actions, ProjectData } from "./ProjectView";

const ANY = "";
const NONE = "-";

function byPosition(a: WorkItem, b: WorkItem): number {
  return a.position - b.position || a.item_number - b.item_number;
}

export function Board(props: { data: ProjectData; actions: Actions; tab: Tab }) {
  const { data, actions } = props;
  const [sprint, setSprint] = useState(ANY);
  const [assignee, setAssignee] = useState(ANY);
  const [type, setType] = useState(ANY);
  const [text, setText] = useState("");
  const [dropTarget, setDropTarget] = useState<string | null>(null);
  const focusKey = useRef<string | null>(null);

  const lanes = useMemo(() => [...data.lanes].sort((a, b) => a.position - b.position), [data.lanes]);
  const assignees = useMemo(() => {
    const names = new Set<string>();
    for (const item of data.items.values()) if (item.assignee_id) names.add(item.assignee_id);
    return [...names].sort();
  }, [data.items]);

  const columns = useMemo(() => {
    const needle = text.trim().toLowerCase();
    const byStatus = new Map<string, WorkItem[]>(lanes.map((l) => [l.status_value, []]));
    for (const item of data.items.values()) {
      if (sprint === NONE ? item.sprint_id !== null : sprint !== ANY && item.sprint_id !== sprint) continue;
      if (assignee === NONE ? item.assignee_id !== null : assignee !== ANY && item.assignee_id !== assignee) continue;
      if (type !== ANY && item.item_type !== type) continue;
      if (needle && !`${item.key} ${item.title}`.toLowerCase().includes(needle)) continue;
      byStatus.get(item.status)?.push(item);
    }
    for (const list of byStatus.values()) list.sort(byPosition);
    return byStatus;
  }, [data.items, lanes, sprint, assignee, type, text]);

  useEffect(() => {
    if (!focusKey.current) return;
    document.querySelector<HTMLElement>(`[data-testid="card-${focusKey.current}"]`)?.focus();
    focusKey.current = null;
  });

  const itemHref = (item: WorkItem) =>
    href({ page: "project", projectId: data.project.id, tab: props.tab, itemKey: item.key });

  const onKeyDown = (event: KeyboardEvent, item: WorkItem) => {
    if (event.key === "Enter") {
      location.hash = itemHref(item);
      return;
    }
    if (!event.shiftKey || (event.key !== "ArrowLeft" && event.key !== "ArrowRight")) return;
    event.preventDefault();
    const index = lanes.findIndex((l) => l.status_value === item.status);
    const target = lanes[index + (event.key === "ArrowRight" ? 1 : -1)];
    if (!target) return;
    focusKey.current = item.key;
    void actions.update(item, { status: target.status_value });
  };

  const latest = useRef(onKeyDown);
  latest.current = onKeyDown;
  const stableKeyDown = useCallback((e: KeyboardEvent, item: WorkItem) => latest.current(e, item), []);

  const drop = (event: DragEvent, status: string) => {
    event.preventDefault();
    setDropTarget(null);
    const id = event.dataTransfer?.getData("text/plain");
    const item = id ? data.items.get(id) : undefined;
    if (item && item.status !== status) void actions.update(item, { status });
  };

  const total = [...columns.values()].reduce((n, list) => n + list.length, 0);
  return (
    <section aria-labelledby="board-title">
      <h2 id="board-title" class="sr-only">
        Board
      </h2>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Sprint
          <select data-testid="filter-sprint" value={sprint} onChange={(e) => setSprint(e.currentTarget.value)}>
            <option value={ANY}>All</option>
            <option value={NONE}>No sprint</option>
            {data.sprints.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name} ({s.status})
              </option>
            ))}
          </select>
        </label>
        <label>
          Assignee
          <select data-testid="filter-assignee" value={assignee} onChange={(e) => setAssignee(e.currentTarget.value)}>
            <option value={ANY}>Anyone</option>
            <option value={NONE}>Unassigned</option>
            {assignees.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label>
          Type
          <select data-testid="filter-type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
            <option value={ANY}>All</option>
            <option value="epic">Epic</option>
            <option value="story">Story</option>
            <option value="task">Task</option>
          </select>
        </label>
        <label>
          Text
          <input
            type="search"
            data-testid="filter-text"
            value={text}
            placeholder="Key or title"
            onInput={(e) => setText(e.currentTarget.value)}
          />
        </label>
        <span class="muted" aria-live="polite" data-testid="board-count">
          {total} of {data.items.size} items
        </span>
      </form>
      <p id="board-help" class="help">
        Drag a card to another column, or focus it and press Shift + ← / → to move it; Enter opens it.
      </p>
      <div class="lanes" data-testid="board">
        {lanes.map((lane) => {
          const cards = columns.get(lane.status_value) ?? [];
          return (
            <section
              key={lane.id}
              class={`lane${dropTarget === lane.status_value ? " drop" : ""}`}
              data-testid={`lane-${lane.status_value}`}
              aria-labelledby={`lane-h-${lane.id}`}
              onDragOver={(e) => {
                e.preventDefault();
                if (dropTarget !== lane.status_value) setDropTarget(lane.status_value);
              }}
              onDragLeave={() => setDropTarget(null)}
              onDrop={(e) => drop(e, lane.status_value)}
            >
              <h3 id={`lane-h-${lane.id}`}>
                {lane.name} <span class="count">{cards.length}</span>
              </h3>
              <ul class="cards">
                {cards.map((item) => (
                  <Card key={item.id} item={item} href={itemHref(item)} onKeyDown={stableKeyDown} />
                ))}
              </ul>
            </section>
          );
        })}
      </div>
    </section>
  );
}
