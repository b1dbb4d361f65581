// Small shared pieces: a labelled field, the error line under a form.
import type { ComponentChildren } from "preact";
import { ApiError } from "../api";

export function Field(props: { label: string; id: string; children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children}
    </div>
  );
}

export function FormError(props: { error: unknown; testid?: string }) {
  if (!props.error) return null;
  const error = props.error;
  const text =
    error instanceof ApiError
      ? `${error.message}${error.field ? ` (field: ${error.field})` : ""}`
      : String(error instanceof Error ? error.message : error);
  return (
    <p class="error" role="alert" data-testid={props.testid ?? "form-error"}>
      {text}
    </p>
  );
}

export function when(seconds: number): string {
  return new Date(seconds * 1000).toLocaleString();
}

export function day(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}
