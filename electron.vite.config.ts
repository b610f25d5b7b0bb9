import { resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          // The Electron main process.
          index: resolve('src-main/index.ts'),
          // The `mr4` command line and the browser-mode server: never load electron.
          cli: resolve('src-main/cli/main.ts'),
          // Engine jobs run here, off the UI's and the CLI's event loop.
          'engine-worker': resolve('src-main/services/engine-worker.ts'),
        },
        // Shared chunks sit beside the entries, so `new URL('./engine-worker.js', import.meta.url)`
        // resolves from any of them.
        output: { chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload must be one CommonJS file.
      rollupOptions: {
        input: { index: resolve('src-preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src-renderer',
    base: './',
    plugins: [vue()],
    build: {
      outDir: 'out/renderer',
      // electron-vite leaves every bundle unminified; the window's script is parsed and compiled at
      // each start of the window (and by every UI test's fresh page), so it is minified.
      minify: true,
      rollupOptions: { input: resolve('src-renderer/index.html') },
    },
  },
});
