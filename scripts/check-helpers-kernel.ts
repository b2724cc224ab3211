/**
 * `npx tsx scripts/check-helpers-kernel.ts`: checks the helper table's availability against the
 * running kernel (root needed). For each program type (with an attach type it loads with) and
 * each helper id, loads `r1..r5 = 0; call id; r0 = 0; exit` and reads the verifier log:
 * "program of this type cannot use helper" means not available; any other outcome (loaded, or
 * rejected on an argument) means available. Compares with helperProtoFor().
 *
 * Until src/loader has its FFI, the loads go through a tiny C program compiled here with gcc.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { helperNames, helperProtoFor, HELPER_COUNT } from '../src/asm/helpers.js';
import { programTypeName, programTypeNumber } from '../src/asm/prog-types.js';
import { attachTypeNumber } from '../src/asm/attach-types.js';

const C = String.raw`
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
static char logbuf[1 << 16];
int main(int argc, char **argv) {
  int type = atoi(argv[1]), attach = atoi(argv[2]), flags = atoi(argv[3]), count = atoi(argv[4]);
  for (int h = 1; h < count; h++) {
    struct bpf_insn insns[8] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 1}, {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 2},
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 3}, {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 4},
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 5}, {.code = BPF_JMP | BPF_CALL, .imm = h},
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0}, {.code = BPF_JMP | BPF_EXIT},
    };
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.prog_type = type; a.insn_cnt = 8; a.insns = (unsigned long)insns; a.license = (unsigned long)"GPL";
    a.log_level = 1; a.log_size = sizeof logbuf; a.log_buf = (unsigned long)logbuf;
    a.expected_attach_type = attach; a.prog_flags = flags;
    logbuf[0] = 0;
    int fd = syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof a);
    if (fd >= 0) close(fd);
    printf("%d %s\n", h, fd >= 0 ? "loaded" : strstr(logbuf, "cannot use helper") ? "unavailable"
      : strstr(logbuf, "invalid func") ? "invalid" : logbuf[0] ? "rejected" : "load-error");
  }
  return 0;
}
`;

/** Program types with an attach type (and flags) they load with; tracing/lsm/ext/struct_ops need BTF targets. */
const CASES: Array<[string, string | number, number]> = [
  ['socket_filter', 0, 0], ['kprobe', 0, 0], ['kprobe', 'trace_kprobe_multi', 0], ['kprobe', 'trace_uprobe_multi', 0],
  ['sched_cls', 0, 0], ['sched_act', 0, 0], ['tracepoint', 0, 0], ['xdp', 0, 0], ['xdp', 'xdp', 0],
  ['perf_event', 0, 0], ['cgroup_skb', 0, 0], ['cgroup_skb', 'cgroup_inet_egress', 0], ['cgroup_sock', 0, 0],
  ['cgroup_sock', 'cgroup_inet_sock_release', 0], ['lwt_in', 0, 0], ['lwt_out', 0, 0], ['lwt_xmit', 0, 0],
  ['sock_ops', 0, 0], ['sk_skb', 0, 0], ['sk_skb', 'sk_skb_stream_verdict', 0], ['cgroup_device', 'cgroup_device', 0],
  ['sk_msg', 'sk_msg_verdict', 0], ['raw_tracepoint', 0, 0], ['cgroup_sock_addr', 'cgroup_inet4_connect', 0],
  ['cgroup_sock_addr', 'cgroup_inet4_bind', 0], ['cgroup_sock_addr', 'cgroup_udp4_sendmsg', 0],
  ['cgroup_sock_addr', 'cgroup_inet4_getpeername', 0], ['lwt_seg6local', 0, 0], ['sk_reuseport', 0, 0],
  ['sk_reuseport', 'sk_reuseport_select_or_migrate', 0], ['flow_dissector', 'flow_dissector', 0],
  ['cgroup_sysctl', 'cgroup_sysctl', 0], ['raw_tracepoint_writable', 0, 0],
  ['cgroup_sockopt', 'cgroup_getsockopt', 0], ['cgroup_sockopt', 'cgroup_setsockopt', 0],
  ['sk_lookup', 'sk_lookup', 0], ['syscall', 0, 16 /* BPF_F_SLEEPABLE */], ['netfilter', 'netfilter', 0],
];

const dir = mkdtempSync(path.join(tmpdir(), 'check-helpers-'));
writeFileSync(path.join(dir, 'check.c'), C);
execFileSync('gcc', ['-O1', '-o', path.join(dir, 'check'), path.join(dir, 'check.c')]);

let checked = 0;
let mismatches = 0;
for (const [type, attach, flags] of CASES) {
  const t = programTypeNumber(type)!;
  const a = attachTypeNumber(attach)!;
  const out = execFileSync(path.join(dir, 'check'), [String(t), String(a), String(flags), String(HELPER_COUNT)], { encoding: 'utf8' });
  const bad: string[] = [];
  let loadErrors = 0;
  for (const line of out.trim().split('\n')) {
    const [h, verdict] = line.split(' ') as [string, string];
    if (verdict === 'load-error') { loadErrors++; continue; }
    const id = Number(h);
    const kernel = verdict !== 'unavailable' && verdict !== 'invalid';
    const model = helperProtoFor(t, id, { attachType: a, sleepable: (flags & 16) !== 0 }) !== undefined;
    checked++;
    if (kernel !== model) bad.push(`${helperNames[id]}#${id}: kernel ${verdict}, table ${model ? 'available' : 'unavailable'}`);
  }
  mismatches += bad.length;
  console.log(`${programTypeName(t)} attach=${attach}: ${bad.length} mismatches` +
    (loadErrors ? `, ${loadErrors} loads failed before the verifier` : '') + bad.map((b) => `\n  ${b}`).join(''));
}
console.log(`${checked} (program type, helper) pairs checked, ${mismatches} mismatches`);
process.exitCode = mismatches ? 1 : 0;
