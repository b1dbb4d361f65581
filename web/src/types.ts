// The REST API's JSON shapes (docs/api.md), as the board uses them.
export type ItemType = "epic" | "story" | "task";
export type Priority = "low" | "medium" | "high" | "critical";
export type SprintStatus = "planned" | "active" | "completed" | "cancelled";

export interface Project {
  id: string;
  key: string;
  title: string;
  description: string | null;
  status: string;
  version: number;
}

export interface WorkItem {
  id: string;
  project_id: string;
  item_type: ItemType;
  item_number: number;
  key: string;
  parent_id: string | null;
  position: number;
  title: string;
  description: string | null;
  status: string;
  priority: Priority;
  story_points: number | null;
  assignee_id: string | null;
  sprint_id: string | null;
  version: number;
  updated_at: number;
  updated_by: string;
  deleted_at?: number | null;
}

export interface Lane {
  id: string;
  project_id: string;
  name: string;
  status_value: string;
  position: number;
}

export interface Sprint {
  id: string;
  project_id: string;
  name: string;
  goal: string | null;
  start_date: number;
  end_date: number;
  status: SprintStatus;
  version: number;
}

export interface Comment {
  id: string;
  work_item_id: string;
  content: string;
  created_at: number;
  created_by: string;
}

export interface TimeEntry {
  id: string;
  work_item_id: string;
  user_id: string;
  started_at: number;
  ended_at: number | null;
  duration_seconds: number | null;
  description: string | null;
}

export interface Dependency {
  id: string;
  blocking_item_id: string;
  blocked_item_id: string;
  dependency_type: "blocks" | "relates_to";
}

export interface Dependencies {
  blocking: Dependency[];
  blocked: Dependency[];
  related: Dependency[];
}

export interface Activity {
  id: string;
  action: string;
  field_name: string | null;
  old_value: string | null;
  new_value: string | null;
  user_id: string;
  timestamp: number;
  comment: string | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}
