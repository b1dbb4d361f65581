import { useState } from "preact/hooks";
import { claims } from "../auth";

export function SignIn(props: { reason: string | null; onSignIn(token: string): void }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const submit = (event: Event) => {
    event.preventDefault();
    if (!claims(value.trim())) {
      setError("That does not look like a token: paste the whole JWT (three parts separated by dots).");
      return;
    }
    props.onSignIn(value);
  };
  return (
    <main id="main" class="signin">
      <h1>Sign in to the board</h1>
      <p>
        Open the sign-in link <code>make run</code> prints, or paste a token (
        <code>pm-server token --tenant T --user U</code>).
      </p>
      {props.reason && (
        <p class="error" role="alert">
          {props.reason}
        </p>
      )}
      <form onSubmit={submit}>
        <label for="token">Access token</label>
        <textarea
          id="token"
          data-testid="token-input"
          rows={4}
          autoComplete="off"
          spellcheck={false}
          value={value}
          aria-invalid={error ? "true" : undefined}
          aria-describedby={error ? "token-error" : undefined}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
        {error && (
          <p id="token-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" data-testid="sign-in">
          Sign in
        </button>
      </form>
    </main>
  );
}
