import { render } from "preact";
import { App } from "./App";
import { takeTokenFromFragment } from "./auth";
import "./styles.css";

takeTokenFromFragment();
render(<App />, document.getElementById("app")!);
