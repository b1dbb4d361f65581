// The item panel: edit fields, comments (markdown, rendered safely), dependencies, timers
// and logged time, activity. It reloads its lists when a live event touches them.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, errorText } from "../api";
import { renderMarkdown } from "../markdown";
import type { Activity, Comment, Dependencies, Priority, TimeEntry, WorkItem } from "../types";
import { FormError, when } from "./forms";
import type { Actions, ProjectData } from "./ProjectView";

interface Extras {
  comments: Comment[];
  deps: Dependencies;
  entries: TimeEntry[];
  running: TimeEntry | null;
  activity: Activity[];
}

function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h ? `${h} h ${m} min` : `${m} min ${seconds % 60} s`;
}

export function ItemPanel(props: {
  itemKey: string;
  item: WorkItem | null;
  data: ProjectData;
  user: string;
  actions: Actions;
  tick: number;
  onClose(): void;
}) {
  const { item, data } = props;
  const heading = useRef<HTMLHeadingElement>(null);
  const [extras, setExtras] = useState<Extras | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    heading.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && props.onClose();
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.querySelector<HTMLElement>(`[data-testid="card-${props.itemKey}"]`)?.focus();
    };
  }, []);

  const id = item?.id;
  const reload = async () => {
    if (!id) return;
    try {
      const [comments, deps, entries, running, activity] = await Promise.all([
        api<{ items: Comment[] }>("GET", `/work-items/${id}/comments?limit=200`),
        api<Dependencies>("GET", `/work-items/${id}/dependencies`),
        api<{ items: TimeEntry[] }>("GET", `/work-items/${id}/time-entries?limit=200`),
        api<{ time_entry: TimeEntry | null }>("GET", "/time-entries/running"),
        api<{ items: Activity[] }>("GET", `/work-items/${id}/activity?limit=50`),
      ]);
      setExtras({
        comments: comments.items,
        deps,
        entries: entries.items,
        running: running.time_entry,
        activity: activity.items,
      });
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void reload();
  }, [id, props.tick]);

  return (
    <div class="panel-backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class="panel" role="dialog" aria-modal="true" aria-labelledby="panel-title" data-testid="item-panel">
        <div class="panel-head">
          <h2 id="panel-title" tabIndex={-1} ref={heading}>
            {item ? `${item.key} ${item.title}` : props.itemKey}
          </h2>
          <button type="button" class="icon" aria-label="Close" data-testid="close-panel" onClick={props.onClose}>
            ✕
          </button>
        </div>
        {!item && <p>This item does not exist (any more).</p>}
        {item && <Fields key={item.id} item={item} data={data} actions={props.actions} />}
        <FormError error={error} />
        {item && extras && (
          <>
            <Comments item={item} comments={extras.comments} user={props.user} reload={reload} />
            <Deps item={item} deps={extras.deps} data={data} reload={reload} />
            <Time item={item} entries={extras.entries} running={extras.running} reload={reload} />
            <History activity={extras.activity} />
          </>
        )}
      </div>
    </div>
  );
}

function Fields(props: { item: WorkItem; data: ProjectData; actions: Actions }) {
  const { item, data } = props;
  const [draft, setDraft] = useState(item);
  const [dirty, setDirty] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  useEffect(() => {
    if (!dirty) setDraft(item); // someone else's change shows unless you are editing
  }, [item]);
  const set = (fields: Partial<WorkItem>) => {
    setDraft({ ...draft, ...fields });
    setDirty(true);
    setSaved(null);
  };
  const save = async (event: Event) => {
    event.preventDefault();
    const fields: Partial<WorkItem> = {};
    for (const name of ["title", "description", "status", "priority", "story_points", "assignee_id", "sprint_id"] as const) {
      if (draft[name] !== item[name]) Object.assign(fields, { [name]: draft[name] });
    }
    setDirty(false);
    if (Object.keys(fields).length === 0) return;
    const result = await props.actions.update(item, fields);
    setSaved(result ? "Saved." : null);
  };
  const lanes = [...data.lanes].sort((a, b) => a.position - b.position);
  const openSprints = data.sprints.filter((s) => s.status === "planned" || s.status === "active" || s.id === item.sprint_id);
  return (
    <form class="fields" onSubmit={save} aria-label="Item fields">
      <label class="wide">
        Title
        <input data-testid="field-title" required maxLength={500} value={draft.title} onInput={(e) => set({ title: e.currentTarget.value })} />
      </label>
      <label class="wide">
        Description
        <textarea rows={3} value={draft.description ?? ""} onInput={(e) => set({ description: e.currentTarget.value || null })} />
      </label>
      <label>
        Status
        <select data-testid="field-status" value={draft.status} onChange={(e) => set({ status: e.currentTarget.value })}>
          {lanes.map((l) => (
            <option key={l.id} value={l.status_value}>
              {l.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Priority
        <select value={draft.priority} onChange={(e) => set({ priority: e.currentTarget.value as Priority })}>
          <option value="low">Low</option>
          <option value="medium">Medium</option>
          <option value="high">High</option>
          <option value="critical">Critical</option>
        </select>
      </label>
      <label>
        Story points
        <input
          type="number"
          min={0}
          max={1000}
          data-testid="field-points"
          value={draft.story_points ?? ""}
          onInput={(e) => set({ story_points: e.currentTarget.value === "" ? null : Number(e.currentTarget.value) })}
        />
      </label>
      <label>
        Assignee
        <input data-testid="field-assignee" value={draft.assignee_id ?? ""} onInput={(e) => set({ assignee_id: e.currentTarget.value.trim() || null })} />
      </label>
      {item.item_type !== "epic" && (
        <label>
          Sprint
          <select value={draft.sprint_id ?? ""} onChange={(e) => set({ sprint_id: e.currentTarget.value || null })}>
            <option value="">No sprint (backlog)</option>
            {openSprints.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <div class="wide actions">
        <button type="submit" data-testid="save-item" disabled={!dirty}>
          Save
        </button>
        <span class="muted" aria-live="polite">
          {saved ?? `version ${item.version}, ${item.item_type}, last changed by ${item.updated_by}`}
        </span>
      </div>
    </form>
  );
}

function Comments(props: { item: WorkItem; comments: Comment[]; user: string; reload(): Promise<void> }) {
  const [text, setText] = useState("");
  const [error, setError] = useState<unknown>(null);
  const add = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      await api("POST", `/work-items/${props.item.id}/comments`, { content: text });
      setText("");
      await props.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section aria-labelledby="comments-title">
      <h3 id="comments-title">Comments</h3>
      <ul class="comments" data-testid="comments">
        {props.comments.map((c) => (
          <li key={c.id} data-testid="comment">
            <div class="muted">
              {c.created_by}, {when(c.created_at)}
            </div>
            {/* renderMarkdown escapes everything first: the only tags are its own. */}
            <div class="md" data-testid="comment-body" dangerouslySetInnerHTML={{ __html: renderMarkdown(c.content) }} />
          </li>
        ))}
      </ul>
      <form onSubmit={add}>
        <label for="comment-text">Add a comment (markdown)</label>
        <textarea id="comment-text" data-testid="comment-input" rows={3} required value={text} onInput={(e) => setText(e.currentTarget.value)} />
        <FormError error={error} />
        <button type="submit" data-testid="add-comment">
          Comment
        </button>
      </form>
    </section>
  );
}

function Deps(props: { item: WorkItem; deps: Dependencies; data: ProjectData; reload(): Promise<void> }) {
  const { item, deps, data } = props;
  const [kind, setKind] = useState("blocks");
  const [other, setOther] = useState("");
  const [error, setError] = useState<unknown>(null);
  const keyOf = (id: string) => data.items.get(id)?.key ?? id.slice(0, 8);
  const rows = [
    ...deps.blocking.map((d) => ({ d, text: `blocked by ${keyOf(d.blocking_item_id)}` })),
    ...deps.blocked.map((d) => ({ d, text: `blocks ${keyOf(d.blocked_item_id)}` })),
    ...deps.related.map((d) => ({
      d,
      text: `relates to ${keyOf(d.blocking_item_id === item.id ? d.blocked_item_id : d.blocking_item_id)}`,
    })),
  ];
  const add = async (event: Event) => {
    event.preventDefault();
    setError(null);
    const target = [...data.items.values()].find((i) => i.key === other.trim().toUpperCase());
    if (!target) {
      setError(new Error(`No item ${other} in this project.`));
      return;
    }
    const [blocking, blocked] = kind === "blocked_by" ? [target.id, item.id] : [item.id, target.id];
    try {
      await api("POST", "/dependencies", {
        blocking_item_id: blocking,
        blocked_item_id: blocked,
        dependency_type: kind === "relates_to" ? "relates_to" : "blocks",
      });
      setOther("");
      await props.reload();
    } catch (e) {
      setError(e);
    }
  };
  const remove = async (id: string) => {
    try {
      await api("DELETE", `/dependencies/${id}`);
      await props.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section aria-labelledby="deps-title">
      <h3 id="deps-title">Dependencies</h3>
      {rows.length === 0 && <p class="muted">None.</p>}
      <ul data-testid="dependencies">
        {rows.map(({ d, text }) => (
          <li key={d.id}>
            {text}{" "}
            <button type="button" class="link" onClick={() => remove(d.id)}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      <form class="inline" onSubmit={add}>
        <label>
          This item
          <select value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
            <option value="blocks">blocks</option>
            <option value="blocked_by">is blocked by</option>
            <option value="relates_to">relates to</option>
          </select>
        </label>
        <label>
          Item key
          <input data-testid="dependency-key" list="item-keys" required value={other} onInput={(e) => setOther(e.currentTarget.value)} placeholder={`${data.project.key}-1`} />
        </label>
        <datalist id="item-keys">
          {[...data.items.values()].slice(0, 500).map((i) => (
            <option key={i.id} value={i.key} />
          ))}
        </datalist>
        <button type="submit" data-testid="add-dependency">
          Link
        </button>
      </form>
      <FormError error={error} />
    </section>
  );
}

function Time(props: { item: WorkItem; entries: TimeEntry[]; running: TimeEntry | null; reload(): Promise<void> }) {
  const { item, entries, running } = props;
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now() / 1000);
  const mine = running && running.work_item_id === item.id ? running : null;
  useEffect(() => {
    if (!mine) return;
    const timer = window.setInterval(() => setNow(Date.now() / 1000), 1000);
    return () => window.clearInterval(timer);
  }, [mine?.id]);
  const logged = entries.reduce((n, e) => n + (e.duration_seconds ?? 0), 0);
  const toggle = async () => {
    setError(null);
    try {
      if (mine) await api("POST", `/time-entries/${mine.id}/stop`, {});
      else await api("POST", `/work-items/${item.id}/timer/start`, {});
      await props.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <section aria-labelledby="time-title">
      <h3 id="time-title">Time</h3>
      <p>
        <span data-testid="time-logged">Logged: {duration(logged)}</span>
        {mine && <span data-testid="timer-running"> · running for {duration(Math.max(0, Math.floor(now - mine.started_at)))}</span>}
        {running && !mine && <span class="muted"> · your timer runs on another item; starting here stops it</span>}
      </p>
      <button type="button" data-testid="timer-toggle" onClick={toggle}>
        {mine ? "Stop timer" : "Start timer"}
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <ul class="entries">
        {entries.map((e) => (
          <li key={e.id}>
            {e.user_id}: {when(e.started_at)} — {e.ended_at ? duration(e.duration_seconds ?? 0) : "running"}
          </li>
        ))}
      </ul>
    </section>
  );
}

function History(props: { activity: Activity[] }) {
  return (
    <section aria-labelledby="activity-title">
      <h3 id="activity-title">Activity</h3>
      <ul class="activity" data-testid="activity">
        {props.activity.map((a) => (
          <li key={a.id}>
            <span class="muted">{when(a.timestamp)}</span> {a.user_id} {a.action}
            {a.field_name && (
              <>
                {" "}
                {a.field_name}: {a.old_value ?? "—"} → {a.new_value ?? "—"}
              </>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
