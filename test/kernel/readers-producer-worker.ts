/**
 * Worker thread for the reader stress tests: runs a loaded program (by id) with testRun, `repeat`
 * runs per call, `calls` times, then posts how long it took. Runs concurrently with a reader on the
 * main thread, like a real producer on another CPU.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openProgramById } from '../../src/loader/program.js';

const { id, calls, repeat } = workerData as { id: number; calls: number; repeat: number };
const prog = openProgramById(id);
const data = new Uint8Array(64);
const t0 = Date.now();
for (let i = 0; i < calls; i++) prog.testRun({ data, repeat });
prog.close();
parentPort!.postMessage(Date.now() - t0);
