// Hash routes: #/ (projects), #/p/<project id>/<board|backlog|sprints>[/<KEY-N>] (item open).
import { useEffect, useState } from "preact/hooks";

export type Tab = "board" | "backlog" | "sprints";
export type Route =
  | { page: "projects" }
  | { page: "project"; projectId: string; tab: Tab; itemKey: string | null };

const TABS: readonly Tab[] = ["board", "backlog", "sprints"];

export function parse(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "p" && parts[1]) {
    const tab = TABS.includes(parts[2] as Tab) ? (parts[2] as Tab) : "board";
    return { page: "project", projectId: parts[1], tab, itemKey: parts[3] ?? null };
  }
  return { page: "projects" };
}

export function href(route: Route): string {
  if (route.page === "projects") return "#/";
  const item = route.itemKey ? `/${encodeURIComponent(route.itemKey)}` : "";
  return `#/p/${encodeURIComponent(route.projectId)}/${route.tab}${item}`;
}

export function go(route: Route): void {
  location.hash = href(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parse(location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
