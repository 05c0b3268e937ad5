import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The renderer is served from app:// (desktop) or the loopback host (browser
// mode): relative asset URLs, no external requests, everything bundled.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  // vtk.js's XML reader pulls xmlbuilder2, which extends Node's EventEmitter:
  // bundle the browser port of 'events' instead of Vite's empty Node stub.
  resolve: { alias: { events: 'events/' } },
  build: {
    outDir: '../dist-renderer',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 4000,
  },
});
