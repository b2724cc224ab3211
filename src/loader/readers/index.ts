/**
 * Readers of what programs emit: ring buffers ({@link openRingBuffer}), perf event arrays
 * ({@link openPerfBuffer}) and trace_pipe lines ({@link openTracePipe}), each with an async
 * iterator, a callback loop and AbortSignal support, never blocking the event loop (the ring and
 * perf buffers also with a batch iterator: one batch of records per wake-up); and the pure parsers
 * they are built on.
 * @module
 */
export * from './trace-line.js';
export * from './ringbuf-consumer.js';
export * from './perf-ring.js';
export * from './ringbuf.js';
export * from './trace-pipe.js';
export * from './perf-buffer.js';
export { RingBufferBatch } from './ringbuf-batch.js';
export { PerfBufferBatch } from './perf-batch.js';
