"""seed llm context

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 10:00:00.000000
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Ids are uuid5(namespace, title): the same rows on every database, so later revisions can
# update or delete them by id.
NAMESPACE = uuid.UUID("6f1c2b8e-4d0a-5e7b-9c3d-2a1f0e9b8c7d")

llm_context = sa.table(
    "pm_llm_context",
    sa.column("id", sa.String),
    sa.column("context_type", sa.String),
    sa.column("category", sa.String),
    sa.column("title", sa.String),
    sa.column("content", sa.Text),
    sa.column("example_sql", sa.Text),
    sa.column("example_description", sa.Text),
    sa.column("priority", sa.Integer),
)


def _entry(
    context_type: str,
    category: str,
    title: str,
    priority: int,
    content: str,
    example_sql: str | None = None,
    example_description: str | None = None,
) -> dict[str, object]:
    return {
        "id": str(uuid.uuid5(NAMESPACE, title)),
        "context_type": context_type,
        "category": category,
        "title": title,
        "content": " ".join(content.split()),
        "example_sql": example_sql.strip() if example_sql else None,
        "example_description": example_description,
        "priority": priority,
    }


SCHEMA = [
    _entry(
        "schema",
        "projects",
        "Table pm_projects",
        80,
        """
        One row per project. id: UUID text primary key. key: unique human key (2-10 upper-case
        letters/digits, starts with a letter, e.g. PONE); prefixes every item key and is never
        reused, even after the project is deleted. title, description (markdown, nullable).
        status: 'active' or 'archived'. version: optimistic-lock counter, +1 on every change.
        next_work_item_number: the number the next work item gets (KEY-N). created_at,
        updated_at: Unix seconds. created_by, updated_by: user ids from the JWT `sub`.
        deleted_at: Unix seconds of the soft delete, NULL while live.""",
    ),
    _entry(
        "schema",
        "work_items",
        "Table pm_work_items",
        80,
        """
        Epics, stories and tasks in one table. id: UUID text. project_id: the owning project
        (denormalised on every item, also on tasks). item_type: 'epic', 'story' or 'task'.
        item_number: per-project sequence number; key: project key + '-' + item_number
        (PONE-42), unique across the tenant. parent_id: the parent item (NULL for epics and
        unparented items). position: ordering within a lane or the backlog (lower first).
        title, description (markdown). status: the status_value of one of the project's swim
        lanes (e.g. 'backlog', 'in_progress', 'in_review', 'done'). priority: 'low', 'medium',
        'high' or 'critical'. story_points: nullable integer estimate. assignee_id: user id or
        NULL. sprint_id: the sprint the item is planned in, NULL = backlog. version,
        created_at, updated_at, created_by, updated_by, deleted_at: as on every mutable table.""",
        "SELECT key, item_type, title, status, priority FROM pm_work_items"
        " WHERE project_id = :project_id AND deleted_at IS NULL ORDER BY item_number",
        "The live items of a project in creation order.",
    ),
    _entry(
        "schema",
        "sprints",
        "Table pm_sprints",
        80,
        """
        Time boxes of a project. id: UUID text. project_id: the project. name, goal (nullable
        text). start_date, end_date: Unix seconds, end_date >= start_date. status: 'planned',
        'active', 'completed' or 'cancelled'; at most one 'active' sprint per project.
        version, created_at, updated_at, created_by, updated_by, deleted_at. Items join a
        sprint through pm_work_items.sprint_id.""",
    ),
    _entry(
        "schema",
        "comments",
        "Table pm_comments",
        80,
        """
        Markdown comments on work items. id: UUID text (time-ordered, so ORDER BY id is
        chronological). work_item_id: the commented item. project_id: the item's project
        (denormalised for project feeds). content: markdown, never blank. created_at,
        updated_at, created_by (the author; only the author may edit or delete), updated_by,
        deleted_at.""",
    ),
    _entry(
        "schema",
        "time_tracking",
        "Table pm_time_entries",
        80,
        """
        Time spent by a user on a work item. id: UUID text. work_item_id, project_id (the
        item's project). user_id: who tracked the time. started_at: Unix seconds. ended_at:
        Unix seconds, NULL while the timer is running. duration_seconds: ended_at -
        started_at, NULL while running. description (nullable). created_at, updated_at,
        deleted_at. A unique partial index guarantees at most one running entry (ended_at IS
        NULL AND deleted_at IS NULL) per user_id.""",
    ),
    _entry(
        "schema",
        "dependencies",
        "Table pm_dependencies",
        80,
        """
        Links between two work items. id: UUID text. blocking_item_id, blocked_item_id: the
        two items. dependency_type: 'blocks' (blocking_item_id must be finished before
        blocked_item_id) or 'relates_to' (symmetric; stored with the smaller id first).
        created_at, created_by, deleted_at. Rows are never updated, only soft-deleted; at
        most one live link per pair of items.""",
    ),
    _entry(
        "schema",
        "swim_lanes",
        "Table pm_swim_lanes",
        80,
        """
        The columns of a project's board. id: UUID text. project_id. name: display name.
        status_value: the value work items carry in pm_work_items.status (snake_case, unique
        among the project's live lanes, never changed). position: board order, lowest first.
        is_default: true for the four lanes every project starts with (backlog, in_progress,
        in_review, done), which cannot be deleted. created_at, updated_at, deleted_at.""",
        "SELECT name, status_value, position, is_default FROM pm_swim_lanes"
        " WHERE project_id = :project_id AND deleted_at IS NULL ORDER BY position, id",
        "A project's board columns, left to right.",
    ),
    _entry(
        "schema",
        "activity",
        "Table pm_activity_log",
        80,
        """
        Append-only audit trail, one row per changed field. id: UUID text, time-ordered
        (ORDER BY id DESC = newest first). entity_type: 'project', 'work_item', 'sprint',
        'comment', 'time_entry', 'dependency' or 'swim_lane'. entity_id: the changed entity.
        project_id: the project it belongs to (NULL only for entities outside projects).
        action: 'created', 'updated', 'deleted', 'started', 'stopped' and the like.
        field_name, old_value, new_value: the changed field and its values rendered as text
        (NULL for whole-entity actions). user_id: who did it. timestamp: Unix seconds.
        comment: why, when the change was a side effect (e.g. a deleted sprint).""",
    ),
    _entry(
        "schema",
        "general",
        "Table pm_llm_context",
        60,
        """
        These documentation rows. id: UUID text (uuid5 of the title, stable across tenants).
        context_type: 'schema', 'query_pattern', 'business_rule' or 'api_usage'. category:
        the area ('work_items', 'sprints', ...). title, content: the documentation.
        example_sql: a runnable query, with :name bound parameters. example_description:
        what the example returns. priority: higher = read first. Read them through GET
        /api/v1/llm/context?category=&context_type=&min_priority=.""",
    ),
    _entry(
        "schema",
        "general",
        "Table pm_idempotency_keys",
        40,
        """
        Stored answers of POST requests sent with an Idempotency-Key header, so a retry gets
        the first answer instead of writing twice. Primary key (user_id, key). fingerprint:
        hash of method, path, query and body (the same key on a different request is
        rejected). status_code, response_body: the stored answer. created_at: Unix seconds;
        rows expire after IDEMPOTENCY_TTL_HOURS. Internal: agents never need to query it.""",
    ),
    _entry(
        "schema",
        "events",
        "Table pm_events",
        50,
        """
        The tenant's event stream, the same one /ws pushes and GET /api/v1/events?since_seq=
        serves. seq: strictly increasing, gap-free sequence number (primary key); a client
        that remembers the last seq it saw resumes exactly there. created_at: Unix seconds.
        kind: the change, named like the protocol's payload case (work_item_created,
        sprint_updated, swim_lane_deleted, ...). entity_id: the changed entity. project_id:
        its project. sprint_ids, work_item_ids: space-separated ids used to route the event
        to subscribers. user_id: who made the change. body: the protobuf-encoded
        WebSocketMessage payload. Events older than EVENT_RETENTION_HOURS are purged; for
        history use pm_activity_log.""",
    ),
    _entry(
        "schema",
        "events",
        "Table pm_event_seq",
        40,
        """
        One row (id = 1) whose last_seq is the last event sequence number handed out; writers
        reserve numbers from it inside their transaction, so a rolled-back write takes
        none. Internal.""",
    ),
]

QUERIES = [
    _entry(
        "query_pattern",
        "sprints",
        "Board of the active sprint",
        75,
        """
        The items of the project's active sprint grouped by swim lane, in board order: what
        a team sees on its sprint board.""",
        """
SELECT l.position AS lane_position, l.name AS lane, w.key, w.title, w.item_type,
       w.priority, w.assignee_id, w.story_points
FROM pm_sprints s
JOIN pm_work_items w ON w.sprint_id = s.id AND w.deleted_at IS NULL
JOIN pm_swim_lanes l ON l.project_id = w.project_id AND l.status_value = w.status
     AND l.deleted_at IS NULL
WHERE s.project_id = :project_id AND s.status = 'active' AND s.deleted_at IS NULL
ORDER BY l.position, w.position, w.item_number""",
        "One row per item of the active sprint, lane by lane.",
    ),
    _entry(
        "query_pattern",
        "work_items",
        "Backlog by priority",
        70,
        """
        Stories and tasks planned in no sprint and not done, most urgent first: the
        candidates for the next sprint.""",
        """
SELECT key, item_type, title, priority, story_points, status
FROM pm_work_items
WHERE project_id = :project_id AND sprint_id IS NULL AND item_type <> 'epic'
  AND status <> 'done' AND deleted_at IS NULL
ORDER BY CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2
         ELSE 3 END, position, item_number""",
        "Unplanned open items, critical first.",
    ),
    _entry(
        "query_pattern",
        "dependencies",
        "Blocked items",
        75,
        """
        Items that cannot progress because something blocking them is not done yet.
        relates_to links never block, so only dependency_type = 'blocks' counts.""",
        """
SELECT blocked.key AS blocked_key, blocked.title AS blocked_title,
       blocking.key AS blocking_key, blocking.status AS blocking_status
FROM pm_dependencies d
JOIN pm_work_items blocked ON blocked.id = d.blocked_item_id AND blocked.deleted_at IS NULL
JOIN pm_work_items blocking ON blocking.id = d.blocking_item_id AND blocking.deleted_at IS NULL
WHERE d.dependency_type = 'blocks' AND d.deleted_at IS NULL
  AND blocked.project_id = :project_id AND blocking.status <> 'done'
ORDER BY blocked.item_number, blocking.item_number""",
        "One row per (blocked item, unfinished blocker) pair.",
    ),
    _entry(
        "query_pattern",
        "dependencies",
        "Everything an item blocks, transitively",
        65,
        """
        Follow 'blocks' links downstream from one item: what is delayed if it slips. The
        graph is acyclic, and UNION (not UNION ALL) stops at items already seen.""",
        """
WITH RECURSIVE downstream(id) AS (
  SELECT d.blocked_item_id FROM pm_dependencies d
  JOIN pm_work_items w ON w.id = d.blocking_item_id
  WHERE w.key = :key AND d.dependency_type = 'blocks' AND d.deleted_at IS NULL
  UNION
  SELECT d.blocked_item_id FROM pm_dependencies d JOIN downstream ON d.blocking_item_id = downstream.id
  WHERE d.dependency_type = 'blocks' AND d.deleted_at IS NULL
)
SELECT w.key, w.title, w.status FROM downstream
JOIN pm_work_items w ON w.id = downstream.id AND w.deleted_at IS NULL
ORDER BY w.key""",
        "The keys of every live item directly or indirectly blocked by :key.",
    ),
    _entry(
        "query_pattern",
        "time_tracking",
        "Time per user in a sprint",
        70,
        """
        Finished time entries on the sprint's items, summed per user. Running timers have no
        duration yet (ended_at IS NULL); add now - started_at yourself if you need them.""",
        """
SELECT t.user_id, COUNT(*) AS entries, SUM(t.duration_seconds) AS seconds
FROM pm_time_entries t
JOIN pm_work_items w ON w.id = t.work_item_id AND w.deleted_at IS NULL
WHERE w.sprint_id = :sprint_id AND t.deleted_at IS NULL AND t.ended_at IS NOT NULL
GROUP BY t.user_id
ORDER BY seconds DESC""",
        "Seconds tracked per user on the items of one sprint.",
    ),
    _entry(
        "query_pattern",
        "time_tracking",
        "Running timers in a project",
        60,
        """
        Who is tracking time on what right now.""",
        """
SELECT t.user_id, w.key, w.title, t.started_at, t.description
FROM pm_time_entries t
JOIN pm_work_items w ON w.id = t.work_item_id AND w.deleted_at IS NULL
WHERE t.project_id = :project_id AND t.ended_at IS NULL AND t.deleted_at IS NULL
ORDER BY t.started_at""",
        "One row per running timer (at most one per user).",
    ),
    _entry(
        "query_pattern",
        "activity",
        "History of a work item",
        70,
        """
        Every recorded change of one item, newest first: who changed which field from what
        to what. Ids are time-ordered, so ORDER BY id DESC is newest first.""",
        """
SELECT a.timestamp, a.user_id, a.action, a.field_name, a.old_value, a.new_value, a.comment
FROM pm_activity_log a
JOIN pm_work_items w ON w.id = a.entity_id
WHERE a.entity_type = 'work_item' AND w.key = :key
ORDER BY a.id DESC""",
        "The audit trail of the item with key :key (e.g. PONE-42).",
    ),
    _entry(
        "query_pattern",
        "activity",
        "Recent changes in a project",
        60,
        """
        The project's feed: changes to the project and to every item, sprint, lane, comment
        and timer in it since a moment (Unix seconds).""",
        """
SELECT a.timestamp, a.user_id, a.entity_type, a.entity_id, a.action, a.field_name,
       a.old_value, a.new_value
FROM pm_activity_log a
WHERE a.project_id = :project_id AND a.timestamp >= :since
ORDER BY a.id DESC
LIMIT 100""",
        "The latest 100 entries of the project since :since.",
    ),
    _entry(
        "query_pattern",
        "work_items",
        "Epic progress",
        65,
        """
        For each epic, how many of its stories are done and how many story points that
        represents.""",
        """
SELECT e.key, e.title, COUNT(s.id) AS stories,
       SUM(CASE WHEN s.status = 'done' THEN 1 ELSE 0 END) AS done_stories,
       COALESCE(SUM(s.story_points), 0) AS points,
       COALESCE(SUM(CASE WHEN s.status = 'done' THEN s.story_points ELSE 0 END), 0) AS done_points
FROM pm_work_items e
LEFT JOIN pm_work_items s ON s.parent_id = e.id AND s.deleted_at IS NULL
WHERE e.project_id = :project_id AND e.item_type = 'epic' AND e.deleted_at IS NULL
GROUP BY e.id, e.key, e.title, e.item_number
ORDER BY e.item_number""",
        "One row per epic with its story counts and points.",
    ),
    _entry(
        "query_pattern",
        "work_items",
        "An item and everything below it",
        60,
        """
        Walk the hierarchy down from one item (an epic's stories and their tasks).""",
        """
WITH RECURSIVE tree(id, depth) AS (
  SELECT id, 0 FROM pm_work_items WHERE key = :key AND deleted_at IS NULL
  UNION ALL
  SELECT w.id, tree.depth + 1 FROM pm_work_items w JOIN tree ON w.parent_id = tree.id
  WHERE w.deleted_at IS NULL
)
SELECT w.key, w.item_type, w.title, w.status, tree.depth
FROM tree JOIN pm_work_items w ON w.id = tree.id
ORDER BY tree.depth, w.item_number""",
        "The item (depth 0) and its descendants, level by level.",
    ),
    _entry(
        "query_pattern",
        "work_items",
        "Open work of a user",
        65,
        """
        Items assigned to one user that are not done, across all projects of the
        tenant.""",
        """
SELECT p.key AS project, w.key, w.title, w.status, w.priority
FROM pm_work_items w
JOIN pm_projects p ON p.id = w.project_id AND p.deleted_at IS NULL
WHERE w.assignee_id = :user_id AND w.status <> 'done' AND w.deleted_at IS NULL
ORDER BY p.key, w.item_number""",
        "The user's open items, project by project.",
    ),
    _entry(
        "query_pattern",
        "sprints",
        "Sprint progress and velocity",
        65,
        """
        Items and finished story points per sprint: the done points of completed sprints
        are the team's velocity.""",
        """
SELECT s.name, s.status, s.start_date, s.end_date, COUNT(w.id) AS items,
       COALESCE(SUM(CASE WHEN w.status = 'done' THEN w.story_points ELSE 0 END), 0) AS done_points
FROM pm_sprints s
LEFT JOIN pm_work_items w ON w.sprint_id = s.id AND w.deleted_at IS NULL
WHERE s.project_id = :project_id AND s.deleted_at IS NULL
  AND s.status IN ('active', 'completed')
GROUP BY s.id, s.name, s.status, s.start_date, s.end_date
ORDER BY s.start_date""",
        "One row per active or completed sprint.",
    ),
    _entry(
        "query_pattern",
        "swim_lanes",
        "Work in progress per lane",
        60,
        """
        How many live items sit in each lane of the board (including empty lanes).""",
        """
SELECT l.name, l.status_value, COUNT(w.id) AS items
FROM pm_swim_lanes l
LEFT JOIN pm_work_items w ON w.project_id = l.project_id AND w.status = l.status_value
     AND w.deleted_at IS NULL
WHERE l.project_id = :project_id AND l.deleted_at IS NULL
GROUP BY l.id, l.name, l.status_value, l.position
ORDER BY l.position""",
        "One row per lane, left to right, with its item count.",
    ),
    _entry(
        "query_pattern",
        "comments",
        "Latest comments in a project",
        55,
        """
        The discussion across a project's items, newest first.""",
        """
SELECT w.key, c.created_by, c.created_at, c.content
FROM pm_comments c
JOIN pm_work_items w ON w.id = c.work_item_id AND w.deleted_at IS NULL
WHERE c.project_id = :project_id AND c.deleted_at IS NULL
ORDER BY c.id DESC
LIMIT 20""",
        "The 20 newest live comments with their item keys.",
    ),
]

RULES = [
    _entry(
        "business_rule",
        "general",
        "Change data through the API, read it with SQL",
        100,
        """
        Every write must go through the REST API (or the WebSocket commands), never through
        SQL: the API checks the rules below, writes the activity log, bumps versions and
        notifies subscribers in the same transaction. Use SQL (or GET endpoints) to read.""",
    ),
    _entry(
        "business_rule",
        "general",
        "Tenancy",
        95,
        """
        Each tenant (organisation) has its own database (SQLite file or PostgreSQL schema);
        the tenant comes from the `tenant_id` claim of the JWT and nowhere else. Tables have
        no tenant column: a query only ever sees the caller's tenant. Another tenant's ids
        are simply not found (404).""",
    ),
    _entry(
        "business_rule",
        "general",
        "Soft delete",
        95,
        """
        Deleting sets deleted_at (Unix seconds); rows are never removed. Every read must
        filter deleted_at IS NULL, also on joined tables. Deleting a project deletes its
        work items and sprints; deleting a work item deletes everything below it, unlinks
        its dependencies and stops timers running on it. Comments and time entries of a
        deleted item are no longer visible through the API.""",
    ),
    _entry(
        "business_rule",
        "general",
        "Optimistic locking",
        90,
        """
        Projects, work items and sprints carry a version that grows by 1 on every change.
        Send the version you last read as expected_version (JSON body or DELETE query
        parameter) or as an If-Match header; if someone changed the row since, the write is
        refused with 409 CONFLICT and the body's `current` holds the row as it is now.
        Re-read, re-apply, retry. Without an expected version the last write wins.""",
    ),
    _entry(
        "business_rule",
        "general",
        "Ids, times and ordering",
        85,
        """
        Ids are UUIDv7 text: they sort in creation order, so ORDER BY id is chronological
        and id works as a pagination cursor. All times are integer Unix seconds (UTC).
        Lists in the API are keyset-paginated: pass next_cursor back as cursor.""",
    ),
    _entry(
        "business_rule",
        "projects",
        "Project and item keys",
        90,
        """
        A project key is 2-10 upper-case letters or digits starting with a letter (PONE) and
        unique forever: a deleted project's key is not reused. Items are numbered per project
        from next_work_item_number: the key PONE-42 is the project key plus the number.
        Numbers are never reused; gaps are normal (deleted items, failed creates). Every
        endpoint taking {id_or_key} accepts either the UUID or the key.""",
    ),
    _entry(
        "business_rule",
        "work_items",
        "Work item hierarchy",
        95,
        """
        Epics sit at the top of a project and have no parent; a story's parent must be an
        epic; a task's parent must be a story; parent and child are in the same project.
        Stories and tasks may also have no parent. Moving an item (PATCH parent_id) can
        never put it under itself or its own descendant. Deleting an item deletes its whole
        subtree.""",
    ),
    _entry(
        "business_rule",
        "work_items",
        "Status comes from the swim lanes",
        90,
        """
        A work item's status must be the status_value of one of its project's live swim
        lanes; a new item starts in 'backlog' unless told otherwise. To introduce a new
        status, add a lane first (POST /projects/{id}/swim-lanes).""",
    ),
    _entry(
        "business_rule",
        "swim_lanes",
        "Default and custom lanes",
        85,
        """
        Every project starts with four default lanes: backlog, in_progress, in_review, done
        (is_default = true); they can be renamed and moved but never deleted. Custom lanes
        have a snake_case status_value (1-40 chars: lower-case letters, digits, '_',
        starting with a letter), unique among the project's lanes and never changed after
        creation. A custom lane can be deleted only while no live item has its status.
        Reordering must list every live lane of the project exactly once.""",
    ),
    _entry(
        "business_rule",
        "sprints",
        "Sprint lifecycle",
        90,
        """
        A sprint starts 'planned'. Allowed moves: planned -> active -> completed; any status
        except cancelled -> cancelled; cancelled is final. end_date must not be before
        start_date. Other moves are refused with 422 on field status.""",
    ),
    _entry(
        "business_rule",
        "sprints",
        "One active sprint per project",
        90,
        """
        At most one sprint per project is 'active'. Activating a second one is refused with
        409 CONFLICT on field status: complete or cancel the running sprint first.""",
    ),
    _entry(
        "business_rule",
        "sprints",
        "Sprint membership",
        85,
        """
        Only stories and tasks join a sprint (epics never), and only a sprint of their own
        project. Items can be added only to planned or active sprints. Deleting a sprint
        moves its items back to the backlog (sprint_id = NULL); each such item gets a new
        version and an activity entry for sprint_id.""",
    ),
    _entry(
        "business_rule",
        "dependencies",
        "Dependencies",
        85,
        """
        'blocks' is directed: blocking_item_id must be finished before blocked_item_id; the
        blocks graph never has a cycle (a link that would close one is refused with 422).
        'relates_to' is symmetric, informational and never blocks. An item cannot depend on
        itself and two items have at most one live link. Links may cross projects of the
        same tenant. Deleting either item removes the link.""",
    ),
    _entry(
        "business_rule",
        "time_tracking",
        "Timers and time entries",
        85,
        """
        A user has at most one running timer (the database enforces it): starting a timer
        stops the user's running one. Stopping sets ended_at and duration_seconds =
        ended_at - started_at. Manual entries need ended_at >= started_at. Only the user who
        tracked the time may edit, stop or delete an entry. Deleting a work item stops every
        timer running on it.""",
    ),
    _entry(
        "business_rule",
        "comments",
        "Comments",
        75,
        """
        Comments are markdown, must not be blank, and belong to one work item. Only the
        author (created_by) may edit or delete a comment; others get 403.""",
    ),
    _entry(
        "business_rule",
        "activity",
        "The activity log",
        80,
        """
        Every change writes to pm_activity_log in the same transaction: one row per changed
        field with old and new value as text, or one row for whole-entity actions
        (created, deleted). The log is append-only and survives soft deletes, so the
        history of a deleted entity can still be read by entity_type and entity_id.""",
    ),
]

API = [
    _entry(
        "api_usage",
        "general",
        "Calling the REST API",
        90,
        """
        Base path /api/v1, JSON bodies, header Authorization: Bearer <JWT with sub and
        tenant_id>. Create answers 201, delete 204. Errors are application/problem+json
        with `code` (VALIDATION_ERROR 422 with `field`, NOT_FOUND 404, CONFLICT 409,
        AUTHENTICATION_FAILED 401, AUTHORIZATION_FAILED 403). Unknown body fields are
        refused. Send an Idempotency-Key header on POST to make retries safe. The full
        contract is at /openapi.json.""",
    ),
    _entry(
        "api_usage",
        "work_items",
        "Creating and changing work items",
        80,
        """
        POST /projects/{project_id}/work-items {item_type, title, description?, parent_id?,
        status?, priority?, story_points?, assignee_id?, sprint_id?}. GET
        /work-items/{id_or_key} returns the item with ancestor_ids and descendant_ids. PATCH
        /work-items/{id_or_key} with only the fields to change plus expected_version;
        null clears a field (parent_id: null moves to top level, sprint_id: null to the
        backlog). GET /projects/{id}/work-items filters by item_type, status, assignee_id,
        sprint_id, backlog=true, parent_id, q (text), updated_since.""",
    ),
    _entry(
        "api_usage",
        "sprints",
        "Planning and running sprints",
        75,
        """
        POST /projects/{project_id}/sprints {name, goal?, start_date, end_date} (Unix
        seconds) creates a planned sprint. GET /projects/{id}/sprints?status=active finds
        the running one. PATCH /sprints/{id} {status: 'active'} starts it, {status:
        'completed'} closes it. Plan items with PATCH /work-items/{key} {sprint_id}.
        DELETE /sprints/{id} returns its items to the backlog.""",
    ),
    _entry(
        "api_usage",
        "swim_lanes",
        "Customising the board",
        70,
        """
        GET /projects/{id}/swim-lanes lists lanes in board order. POST
        /projects/{id}/swim-lanes {status_value, name, position?} adds one (default: after
        the last). PATCH /swim-lanes/{id} {name?, position?}. PUT
        /projects/{id}/swim-lanes/order {lane_ids: [...every lane, in order]}. DELETE
        /swim-lanes/{id} removes an unused custom lane.""",
    ),
    _entry(
        "api_usage",
        "activity",
        "Reading history",
        70,
        """
        GET /work-items/{id_or_key}/activity, GET /projects/{id}/activity and GET
        /activity?entity_type=&entity_id= return {items, next_cursor}, newest first; pass
        next_cursor as cursor for older entries (limit up to 200).""",
    ),
    _entry(
        "api_usage",
        "time_tracking",
        "Tracking time",
        65,
        """
        POST /work-items/{id_or_key}/timer/start {description?} starts the caller's timer
        (stopping their running one); GET /time-entries/running shows it; POST
        /time-entries/{id}/stop stops it. POST /work-items/{id_or_key}/time-entries
        {started_at, ended_at, description?} records finished time; GET the same path lists
        an item's entries.""",
    ),
    _entry(
        "api_usage",
        "dependencies",
        "Linking items",
        65,
        """
        POST /dependencies {blocking_item_id, blocked_item_id, dependency_type: 'blocks' |
        'relates_to'}; DELETE /dependencies/{id}; GET /work-items/{id_or_key}/dependencies
        lists what blocks the item, what it blocks and what relates to it.""",
    ),
    _entry(
        "api_usage",
        "comments",
        "Commenting",
        60,
        """
        GET/POST /work-items/{id_or_key}/comments {content} (markdown); PATCH and DELETE
        /comments/{id} for the author's own comments.""",
    ),
]

ROWS = [*SCHEMA, *QUERIES, *RULES, *API]


def upgrade() -> None:
    op.bulk_insert(llm_context, ROWS)


def downgrade() -> None:
    op.execute(llm_context.delete().where(llm_context.c.id.in_([row["id"] for row in ROWS])))
