// One project: its state (lanes, items, sprints), kept current by the live connection.
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, api, errorText, listAll } from "../api";
import { laneFromProto, itemFromProto, sprintFromProto } from "../convert";
import { Live, type LiveEvent, type LiveStatus } from "../live";
import { go, href, type Tab } from "../route";
import type { Lane, Project, Sprint, WorkItem } from "../types";
import { Backlog } from "./Backlog";
import { Board } from "./Board";
import { ItemPanel } from "./ItemPanel";
import { NewItem } from "./NewItem";
import { Sprints } from "./Sprints";

export interface ProjectData {
  project: Project;
  lanes: Lane[];
  items: Map<string, WorkItem>;
  sprints: Sprint[];
}

export interface Actions {
  /** Put a row the server answered with into the state (unless a newer one is there). */
  saved(item: WorkItem): void;
  /** Change fields with the version the page holds; a 409 shows the other change. */
  update(item: WorkItem, fields: Partial<WorkItem>): Promise<WorkItem | null>;
  /** Put a sprint the server answered with into the state. */
  sprint(sprint: Sprint): void;
  notify(message: string): void;
}

function upsert<T extends { id: string }>(rows: T[], row: T): T[] {
  const index = rows.findIndex((r) => r.id === row.id);
  if (index < 0) return [...rows, row];
  const copy = rows.slice();
  copy[index] = row;
  return copy;
}

function newer(items: Map<string, WorkItem>, item: WorkItem): Map<string, WorkItem> {
  const have = items.get(item.id);
  if (have && have.version > item.version) return items;
  const next = new Map(items);
  if (item.deleted_at) next.delete(item.id);
  else next.set(item.id, item);
  return next;
}

export function ProjectView(props: {
  token: string;
  user: string;
  projectId: string;
  tab: Tab;
  itemKey: string | null;
}) {
  const { projectId } = props;
  const [data, setData] = useState<ProjectData | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const [notice, setNotice] = useState<string | null>(null);
  const [tick, setTick] = useState(0); // bumps on comment, timer, dependency events
  const queue = useRef<LiveEvent[] | null>([]); // events that arrive while loading
  const dataRef = useRef<ProjectData | null>(null);
  dataRef.current = data;

  const apply = useCallback((event: LiveEvent) => {
    setData((d) => {
      if (!d) return d;
      const key = (n: number) => `${d.project.key}-${n}`;
      switch (event.case) {
        case "workItemCreated":
        case "workItemUpdated": {
          const pb = event.value.workItem;
          if (!pb || pb.projectId !== d.project.id) return d;
          return { ...d, items: newer(d.items, itemFromProto(pb, key(pb.itemNumber))) };
        }
        case "workItemDeleted": {
          if (!d.items.has(event.value.workItemId)) return d;
          const items = new Map(d.items);
          items.delete(event.value.workItemId);
          return { ...d, items };
        }
        case "sprintCreated":
        case "sprintUpdated":
          if (!event.value.sprint) return d;
          return { ...d, sprints: upsert(d.sprints, sprintFromProto(event.value.sprint)) };
        case "sprintDeleted":
          return { ...d, sprints: d.sprints.filter((s) => s.id !== event.value.sprintId) };
        case "swimLaneCreated":
        case "swimLaneUpdated":
          if (!event.value.swimLane) return d;
          return { ...d, lanes: upsert(d.lanes, laneFromProto(event.value.swimLane)) };
        case "swimLaneDeleted":
          return { ...d, lanes: d.lanes.filter((l) => l.id !== event.value.swimLaneId) };
        case "projectUpdated": {
          const p = event.value.project;
          return p ? { ...d, project: { ...d.project, title: p.title, version: p.version } } : d;
        }
        default:
          return d;
      }
    });
    if (
      event.case?.startsWith("comment") ||
      event.case?.startsWith("timer") ||
      event.case?.startsWith("timeEntry") ||
      event.case?.startsWith("dependency") ||
      event.case === "workItemUpdated"
    ) {
      setTick((t) => t + 1);
    }
    if (event.case === "projectDeleted") setNotice("This project was deleted.");
  }, []);

  const generation = useRef(0); // only the newest load's snapshot is used
  const load = useCallback(async () => {
    const mine = ++generation.current;
    queue.current = queue.current ?? []; // hold events until the snapshot is in place
    try {
      const [project, lanes, items, sprints] = await Promise.all([
        api<Project>("GET", `/projects/${projectId}`),
        api<Lane[]>("GET", `/projects/${projectId}/swim-lanes`),
        listAll<WorkItem>(`/projects/${projectId}/work-items`),
        api<Sprint[]>("GET", `/projects/${projectId}/sprints`),
      ]);
      if (mine !== generation.current) return; // a newer load is on its way
      performance.mark("pm:project-loaded"); // every row is here (docs/performance.md)
      setData({ project, lanes, items: new Map(items.map((i) => [i.id, i])), sprints });
      document.title = `${project.key} — pm`;
      const pending = queue.current ?? [];
      queue.current = null;
      pending.forEach(apply);
    } catch (e) {
      if (mine !== generation.current) return;
      queue.current = null;
      setLoadError(e);
    }
  }, [projectId, apply]);

  useEffect(() => {
    // Load once subscribed (nothing committed after that point is missed); if live updates
    // cannot be had soon, load anyway and show the offline banner.
    const fallback = window.setTimeout(() => void load(), 1500);
    const live = new Live(props.token, projectId, {
      event: (event) => (queue.current ? queue.current.push(event) : apply(event)),
      status: setStatus,
      subscribed: (fresh) => {
        window.clearTimeout(fallback);
        if (fresh) void load();
      },
      expired: () => setNotice("Your token expired: sign out and sign in again."),
    });
    live.start();
    return () => {
      window.clearTimeout(fallback);
      live.stop();
    };
  }, [projectId, props.token, load, apply]);

  const actions: Actions = useMemo(
    () => ({
      saved: (item) => setData((d) => (d ? { ...d, items: newer(d.items, item) } : d)),
      notify: setNotice,
      sprint: (sprint) => setData((d) => (d ? { ...d, sprints: upsert(d.sprints, sprint) } : d)),
      update: async (item, fields) => {
        const optimistic = { ...item, ...fields };
        setData((d) => (d ? { ...d, items: new Map(d.items).set(item.id, optimistic) } : d));
        try {
          const saved = await api<WorkItem>("PATCH", `/work-items/${item.id}`, {
            ...fields,
            expected_version: item.version,
          });
          setData((d) => (d ? { ...d, items: newer(d.items, saved) } : d));
          return saved;
        } catch (e) {
          const current = e instanceof ApiError && e.status === 409 ? (e.current as WorkItem | null) : null;
          setData((d) => {
            if (!d) return d;
            const items = new Map(d.items);
            if (current) items.set(current.id, current);
            else if (items.get(item.id) === optimistic) items.set(item.id, item);
            return { ...d, items };
          });
          const lane = (status: string) =>
            dataRef.current?.lanes.find((l) => l.status_value === status)?.name ?? status;
          setNotice(
            current
              ? `${current.key} was changed by ${current.updated_by} in the meantime: it is now in ` +
                  `${lane(current.status)}. Your change was not applied.`
              : `${item.key}: ${errorText(e)}`,
          );
          return null;
        }
      },
    }),
    [],
  );

  if (loadError) {
    return (
      <div class="page">
        <p class="error" role="alert">
          {loadError instanceof ApiError && loadError.status === 404
            ? "This project does not exist, or you are not a member of it."
            : errorText(loadError)}
        </p>
        <a href="#/">All projects</a>
      </div>
    );
  }
  if (!data) return <p class="page" aria-live="polite">Loading the project…</p>;

  const open = props.itemKey
    ? [...data.items.values()].find((i) => i.key === props.itemKey) ?? null
    : null;
  const to = (tab: Tab) => href({ page: "project", projectId, tab, itemKey: null });
  return (
    <div class="project">
      {status !== "live" && (
        <div class="banner" role="status" data-testid="offline-banner">
          {status === "connecting" ? "Connecting to live updates…" : "Offline: reconnecting… Changes by others will appear once the connection is back."}
        </div>
      )}
      {notice && (
        <div class="notice" role="alert" data-testid="notice">
          <span>{notice}</span>
          <button type="button" class="link" onClick={() => setNotice(null)} aria-label="Dismiss">
            ✕
          </button>
        </div>
      )}
      <div class="project-head">
        <h1>
          <span class="key">{data.project.key}</span> {data.project.title}
        </h1>
        <nav aria-label="Project views" class="tabs">
          {(["board", "backlog", "sprints"] as Tab[]).map((tab) => (
            <a key={tab} href={to(tab)} aria-current={props.tab === tab ? "page" : undefined} data-testid={`tab-${tab}`}>
              {tab[0].toUpperCase() + tab.slice(1)}
            </a>
          ))}
        </nav>
        <NewItem data={data} actions={actions} />
      </div>
      {props.tab === "board" && <Board data={data} actions={actions} tab={props.tab} />}
      {props.tab === "backlog" && <Backlog data={data} actions={actions} />}
      {props.tab === "sprints" && <Sprints data={data} actions={actions} />}
      {props.itemKey && (
        <ItemPanel
          key={props.itemKey}
          itemKey={props.itemKey}
          item={open}
          data={data}
          user={props.user}
          actions={actions}
          tick={tick}
          onClose={() => go({ page: "project", projectId, tab: props.tab, itemKey: null })}
        />
      )}
    </div>
  );
}
