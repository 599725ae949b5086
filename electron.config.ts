/** Settings of the Electron shell (src/main/electron): a thin window around the local backend. */
export const electronConfig = {
  appId: 'dev.babelscope.app',
  productName: 'Babelscope',
  window: { width: 1280, height: 860, minWidth: 800, minHeight: 600 },
  /** How long the backend (`babelscope serve`, run by the system Node) may take to open the model. */
  backendStartTimeoutMs: 120_000,
  /** How long the backend may take to stop (its kernels, its query processes) after SIGTERM on quit before it is killed. */
  backendStopTimeoutMs: 5_000,
  /** Largest file the renderer may ask the shell to save (exported figures, notebooks). */
  maxSaveBytes: 64 << 20,
} as const;
