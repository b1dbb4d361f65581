import { defineConfig } from "vite";

// `npm run build` writes the board into the Python package, so the wheel and `make run`
// serve it with no Node on the machine. `npm run dev` proxies the API to a running server.
export default defineConfig({
  build: {
    outDir: "../src/pm/server/web",
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2022",
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:3000",
      "/ws": { target: "ws://127.0.0.1:3000", ws: true },
    },
  },
});
