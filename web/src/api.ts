import { getToken } from "./auth";
import type { Page } from "./types";

const BASE = "/api/v1";

/** A refused request: the problem+json body's code, field and message, and the current row on 409. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null = null,
    readonly current: unknown = null,
  ) {
    super(message);
  }
}

let onUnauthorized: (message: string) => void = () => {};

/** Called when the server refuses the token (expired, wrong key): the page signs out. */
export function setUnauthorizedHandler(handler: (message: string) => void): void {
  onUnauthorized = handler;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Authorization: `Bearer ${getToken() ?? ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "NETWORK", "The server cannot be reached.");
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const data: unknown = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const problem = (data ?? {}) as Record<string, unknown>;
    const error = new ApiError(
      response.status,
      String(problem.code ?? "ERROR"),
      String(problem.detail ?? problem.title ?? response.statusText),
      typeof problem.field === "string" ? problem.field : null,
      problem.current ?? null,
    );
    if (response.status === 401) onUnauthorized(error.message);
    throw error;
  }
  return data as T;
}

/** Every row of a cursor-paginated list, 200 at a time. */
export async function listAll<T>(path: string): Promise<T[]> {
  const rows: T[] = [];
  const sep = path.includes("?") ? "&" : "?";
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const page: Page<T> = await api<Page<T>>("GET", `${path}${sep}limit=200${query}`);
    rows.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return rows;
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.field ? `${error.message} (${error.field})` : error.message;
  return error instanceof Error ? error.message : String(error);
}
