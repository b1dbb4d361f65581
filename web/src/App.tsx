import { useEffect, useState } from "preact/hooks";
import { setUnauthorizedHandler } from "./api";
import { claims, clearToken, getToken, setToken } from "./auth";
import { useRoute } from "./route";
import { ProjectView } from "./views/ProjectView";
import { Projects } from "./views/Projects";
import { SignIn } from "./views/SignIn";

export function App() {
  const [token, setTokenState] = useState(getToken);
  const [reason, setReason] = useState<string | null>(null);
  const route = useRoute();
  const user = token ? claims(token) : null;

  const signOut = (why: string | null) => {
    clearToken();
    if (why === null) location.hash = "#/"; // the next person starts at the list
    setReason(why);
    setTokenState(null);
  };
  useEffect(() => {
    setUnauthorizedHandler((message) => signOut(`Signed out: the server refused the token (${message}).`));
  }, []);

  if (!token || !user) {
    return (
      <SignIn
        reason={token && !user ? "That is not a token this board can read." : reason}
        onSignIn={(value) => {
          setToken(value);
          setReason(null);
          setTokenState(getToken());
        }}
      />
    );
  }
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="#/">
          pm
        </a>
        <span class="who" data-testid="signed-in-as">
          {user.sub} <span class="muted">@ {user.tenant_id}</span>
        </span>
        <button type="button" class="link" data-testid="sign-out" onClick={() => signOut(null)}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === "projects" ? (
          <Projects />
        ) : (
          <ProjectView
            key={route.projectId}
            token={token}
            user={user.sub}
            projectId={route.projectId}
            tab={route.tab}
            itemKey={route.itemKey}
          />
        )}
      </main>
    </>
  );
}
