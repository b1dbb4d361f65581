import { memo } from "preact/compat";
import type { WorkItem } from "../types";

const PRIORITY_LABEL: Record<string, string> = {
  low: "Low",
  medium: "Medium",
  high: "High",
  critical: "Critical",
};

/** A card on the board; memoised, so a change to one item re-renders one card. */
export const Card = memo(function Card(props: {
  item: WorkItem;
  href: string;
  onKeyDown(event: KeyboardEvent, item: WorkItem): void;
}) {
  const { item } = props;
  return (
    <li
      class={`card type-${item.item_type}`}
      data-testid={`card-${item.key}`}
      data-status={item.status}
      draggable
      tabIndex={0}
      aria-describedby="board-help"
      aria-label={`${item.key} ${item.title}`}
      onDragStart={(e) => {
        e.dataTransfer?.setData("text/plain", item.id);
        if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
      }}
      onKeyDown={(e) => props.onKeyDown(e, item)}
    >
      <div class="card-top">
        <a class="key" href={props.href} tabIndex={-1}>
          {item.key}
        </a>
        <span class={`badge ${item.item_type}`}>{item.item_type}</span>
        <span class={`prio ${item.priority}`} title="Priority">
          {PRIORITY_LABEL[item.priority] ?? item.priority}
        </span>
      </div>
      <a class="title" href={props.href} tabIndex={-1}>
        {item.title}
      </a>
      <div class="card-foot">
        {item.story_points !== null && (
          <span class="points" title="Story points">
            {item.story_points} pt
          </span>
        )}
        <span class="assignee">{item.assignee_id ?? "unassigned"}</span>
      </div>
    </li>
  );
});
