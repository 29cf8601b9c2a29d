import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// In development (`npm run dev`, scripts/dev.mjs) the panel is served by Vite and talks to the
// server through this proxy, so cookies and the Socket.IO handshake stay same-origin as in
// production; the dev script tells it where the server listens.
const SERVER = process.env.WA_DEV_SERVER_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
  },
  server: {
    proxy: {
      '/api': { target: SERVER, changeOrigin: false },
      '/socket.io': { target: SERVER, ws: true, changeOrigin: false },
    },
  },
});
