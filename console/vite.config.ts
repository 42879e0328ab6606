import { defineConfig } from "vite";

// Relative asset URLs: the build is served under /console/ (and could be under any path).
export default defineConfig({
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The console's CSP allows only its own files: no inlined data: scripts or styles.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
