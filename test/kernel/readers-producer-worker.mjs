// Worker thread entry for the reader stress tests (plain JS so a Worker can start it anywhere):
// registers tsx, then runs the TypeScript producer next to it.
import { tsImport } from 'tsx/esm/api';

await tsImport('./readers-producer-worker.ts', import.meta.url);
