// Protobuf event payloads → the REST JSON shapes the board keeps.
import type {
  Sprint as PbSprint,
  SwimLane as PbLane,
  WorkItem as PbItem,
} from "./gen/messages_pb";
import { SprintStatus, WorkItemType } from "./gen/messages_pb";
import type { ItemType, Lane, Priority, Sprint, SprintStatus as Status, WorkItem } from "./types";

const ITEM_TYPES: Record<number, ItemType> = {
  [WorkItemType.EPIC]: "epic",
  [WorkItemType.STORY]: "story",
  [WorkItemType.TASK]: "task",
};
const SPRINT_STATUSES: Record<number, Status> = {
  [SprintStatus.PLANNED]: "planned",
  [SprintStatus.ACTIVE]: "active",
  [SprintStatus.COMPLETED]: "completed",
  [SprintStatus.CANCELLED]: "cancelled",
};

export function itemFromProto(item: PbItem, key: string): WorkItem {
  return {
    id: item.id,
    project_id: item.projectId,
    item_type: ITEM_TYPES[item.itemType] ?? "task",
    item_number: item.itemNumber,
    key,
    parent_id: item.parentId ?? null,
    position: item.position,
    title: item.title,
    description: item.description ?? null,
    status: item.status,
    priority: item.priority as Priority,
    story_points: item.storyPoints ?? null,
    assignee_id: item.assigneeId ?? null,
    sprint_id: item.sprintId ?? null,
    version: item.version,
    updated_at: Number(item.updatedAt),
    updated_by: item.updatedBy,
    deleted_at: item.deletedAt === undefined ? null : Number(item.deletedAt),
  };
}

export function sprintFromProto(sprint: PbSprint): Sprint {
  return {
    id: sprint.id,
    project_id: sprint.projectId,
    name: sprint.name,
    goal: sprint.goal ?? null,
    start_date: Number(sprint.startDate),
    end_date: Number(sprint.endDate),
    status: SPRINT_STATUSES[sprint.status] ?? "planned",
    version: sprint.version,
  };
}

export function laneFromProto(lane: PbLane): Lane {
  return {
    id: lane.id,
    project_id: lane.projectId,
    name: lane.name,
    status_value: lane.statusValue,
    position: lane.position,
  };
}
