import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev` proxies /api to the BFF (BFF_URL, default a local `bff serve`), so the page
// and the API share one origin, as in production behind a reverse proxy: the session cookie
// stays first-party and no CORS is needed. The Host header is kept (no changeOrigin): the
// BFF sees the page's own origin.
const target = process.env.BFF_URL ?? "http://127.0.0.1:5000";

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: { "/api": { target } },
  },
});
