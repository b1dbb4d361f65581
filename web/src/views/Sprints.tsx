import { useState } from "preact/hooks";
import { api, errorText } from "../api";
import type { Sprint, SprintStatus } from "../types";
import { Field, FormError, day } from "./forms";
import type { Actions, ProjectData } from "./ProjectView";

const NEXT: Partial<Record<SprintStatus, { status: SprintStatus; label: string }>> = {
  planned: { status: "active", label: "Start sprint" },
  active: { status: "completed", label: "Complete sprint" },
};

function toSeconds(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / 1000);
}

/** Plan sprints, start and complete them, and see how far each has come. */
export function Sprints(props: { data: ProjectData; actions: Actions }) {
  const { data } = props;
  const today = new Date().toISOString().slice(0, 10);
  const inTwoWeeks = new Date(Date.now() + 13 * 86400_000).toISOString().slice(0, 10);
  const [name, setName] = useState("");
  const [goal, setGoal] = useState("");
  const [start, setStart] = useState(today);
  const [end, setEnd] = useState(inTwoWeeks);
  const [error, setError] = useState<unknown>(null);
  const lanes = [...data.lanes].sort((a, b) => a.position - b.position);
  const doneStatus = lanes.some((l) => l.status_value === "done") ? "done" : lanes[lanes.length - 1]?.status_value;

  const plan = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      const sprint = await api<Sprint>("POST", `/projects/${data.project.id}/sprints`, {
        name: name.trim(),
        goal: goal.trim() || null,
        start_date: toSeconds(start),
        end_date: toSeconds(end),
      });
      props.actions.sprint(sprint);
      setName("");
      setGoal("");
    } catch (e) {
      setError(e);
    }
  };

  const advance = async (sprint: Sprint, status: SprintStatus) => {
    try {
      props.actions.sprint(
        await api<Sprint>("PATCH", `/sprints/${sprint.id}`, { status, expected_version: sprint.version }),
      );
    } catch (e) {
      props.actions.notify(`${sprint.name}: ${errorText(e)}`);
    }
  };

  const sprints = [...data.sprints].sort((a, b) => a.start_date - b.start_date);
  return (
    <section aria-labelledby="sprints-title" class="page">
      <h2 id="sprints-title">Sprints</h2>
      {sprints.length === 0 && <p>No sprints yet.</p>}
      <ul class="sprints">
        {sprints.map((sprint) => {
          const items = [...data.items.values()].filter((i) => i.sprint_id === sprint.id);
          const done = items.filter((i) => i.status === doneStatus);
          const points = items.reduce((n, i) => n + (i.story_points ?? 0), 0);
          const donePoints = done.reduce((n, i) => n + (i.story_points ?? 0), 0);
          const next = NEXT[sprint.status];
          return (
            <li key={sprint.id} class="sprint" data-testid={`sprint-${sprint.name}`}>
              <div class="sprint-head">
                <h3>{sprint.name}</h3>
                <span class={`status ${sprint.status}`} data-testid="sprint-status">
                  {sprint.status}
                </span>
                <span class="muted">
                  {day(sprint.start_date)} → {day(sprint.end_date)}
                </span>
              </div>
              {sprint.goal && <p>{sprint.goal}</p>}
              <label class="progress">
                <span>
                  {done.length} of {items.length} items done, {donePoints} of {points} points
                </span>
                <progress max={Math.max(items.length, 1)} value={done.length} />
              </label>
              {next && (
                <button type="button" onClick={() => advance(sprint, next.status)}>
                  {next.label}
                </button>
              )}
              {(sprint.status === "planned" || sprint.status === "active") && (
                <button type="button" class="secondary" onClick={() => advance(sprint, "cancelled")}>
                  Cancel sprint
                </button>
              )}
            </li>
          );
        })}
      </ul>
      <form class="card-form" onSubmit={plan} aria-labelledby="plan-title">
        <h3 id="plan-title">Plan a sprint</h3>
        <Field label="Name" id="sprint-name">
          <input id="sprint-name" data-testid="sprint-name" required maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field label="Goal (optional)" id="sprint-goal">
          <input id="sprint-goal" value={goal} onInput={(e) => setGoal(e.currentTarget.value)} />
        </Field>
        <Field label="Starts" id="sprint-start">
          <input id="sprint-start" type="date" required value={start} onInput={(e) => setStart(e.currentTarget.value)} />
        </Field>
        <Field label="Ends" id="sprint-end">
          <input id="sprint-end" type="date" required value={end} onInput={(e) => setEnd(e.currentTarget.value)} />
        </Field>
        <FormError error={error} />
        <button type="submit" data-testid="plan-sprint">
          Plan sprint
        </button>
      </form>
    </section>
  );
}
