/**
 * Readers of what programs emit: ring buffers, perf event arrays and trace_pipe lines.
 * @module
 */
export * from './trace-line.js';
export * from './ringbuf-consumer.js';
export * from './perf-ring.js';
export * from './ringbuf.js';
export * from './trace-pipe.js';
export * from './perf-buffer.js';
