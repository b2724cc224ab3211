/**
 * bench/hello, the ts-ebpf side: what a fresh process does to see its first execve. It imports
 * ts-ebpf, loads a `tracepoint` program that sends the caller's pid to a ring buffer on
 * `syscalls/sys_enter_execve`, attaches it, waits for the first record, prints one line and exits:
 * `hi <code> <imported> <map> <loaded> <attached> <event> <pid>`, in ms from this process's start
 * (performance.timeOrigin): its own code starts running, ts-ebpf is imported, the ring buffer is
 * created (the first bpf() call, which loads ffi-rs), the program is loaded, attached, and the first
 * record is read. Started by run.ts as `node --import tsx bench/hello/ts-child.ts`.
 * @module
 */
const importStart = performance.now();
// Imported here, not at the top, so the time it takes is measured apart from node's own start.
const { asm, attachTracepoint, createMap, loadProgram, openRingBuffer, R0, R1, R2, R3, R4, R10 } = await import('../../src/index.js');
const imported = performance.now();

const program = asm.program([
  asm.call('get_current_pid_tgid'),
  asm.rsh64(R0, 32), // tgid: the process that called execve
  asm.stxdw(R10, -8, R0),
  asm.loadMap(R1, 'events'),
  asm.mov64(R2, R10), asm.add64(R2, -8),
  asm.mov64(R3, 8),
  asm.mov64(R4, 0),
  asm.call('ringbuf_output'),
  asm.ret(0),
]);
using events = createMap({ type: 'ringbuf', maxEntries: 64 * 1024, name: 'events' }); // the first bpf(): loads ffi-rs
const mapped = performance.now();
using prog = loadProgram({ type: 'tracepoint', instructions: program, maps: { events }, name: 'first_exec' });
const loaded = performance.now();
using link = attachTracepoint(prog, 'syscalls/sys_enter_execve');
const attached = performance.now();
using reader = openRingBuffer(events);
for await (const rec of reader.records()) {
  const pid = new DataView(rec.buffer, rec.byteOffset, 8).getUint32(0, true);
  const event = performance.now();
  process.stdout.write(`hi ${importStart} ${imported} ${mapped} ${loaded} ${attached} ${event} ${pid}\n`);
  break;
}
