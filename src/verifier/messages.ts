/**
 * Every error line the verifier model emits, word for word as Linux 6.18's kernel/bpf/verifier.c
 * prints it (without the trailing newline). Keeping them in one file makes the kernel's wording
 * auditable against the source and stops paraphrases creeping in.
 * @module
 */

const hex2 = (n: number): string => (n & 0xff).toString(16).padStart(2, '0');

/** The kernel's messages, as functions of their `%d`/`%s` arguments. */
export const Msg = {
  // resolve_pseudo_ldimm64, check_subprogs, check_cfg, add_subprog
  unknownOpcode: (code: number) => `unknown opcode ${hex2(code)}`,
  ldxReserved: () => 'BPF_LDX uses reserved fields',
  invalidLdImm64: () => 'invalid bpf_ld_imm64 insn',
  unrecognizedLdImm64: () => 'unrecognized bpf_ld_imm64 insn',
  badMapFd: (fd: number) => `fd ${fd} is not pointing to valid bpf_map`,
  directValueOffset: (off: number) => `direct value offset of ${off >>> 0} is not allowed`,
  noDirectValue: () => 'no direct value access support for this map type',
  invalidMapValuePtr: (vs: number, off: number) =>
    `invalid access to map value pointer, value_size=${vs} off=${off >>> 0}`,
  jumpOutOfRange: (from: number, to: number) => `jump out of range from insn ${from} to ${to}`,
  lastInsnNotExit: () => 'last insn is not an exit or jmp',
  unreachable: (i: number) => `unreachable insn ${i}`,
  jumpIntoLdImm64: (i: number) => `jump into the middle of ldimm64 insn ${i}`,
  callInvalidDest: () => 'call to invalid destination',
  tooManySubprogs: () => 'too many subprograms',
  socketFilterSpinLock: () => 'socket filter progs cannot use bpf_spin_lock yet',
  tracingSpinLock: () => 'tracing progs cannot use bpf_spin_lock yet',
  tracingTimer: () => 'tracing progs cannot use bpf_timer yet',
  oneCgroupStorage: () => 'only one cgroup storage of each type is allowed',

  // do_check_insn / check_alu_op reserved fields
  reserved: (what: string) => `${what} uses reserved fields`,
  invalidAluOpcode: (op: number) => `invalid BPF_ALU opcode ${(op >>> 0).toString(16)}`,
  divByZero: () => 'div by zero',
  invalidShift: (imm: number) => `invalid shift ${imm}`,
  invalidLdMode: () => 'invalid BPF_LD mode',
  invalidJmpOpcode: (op: number) => `invalid BPF_JMP/JMP32 opcode ${(op >>> 0).toString(16)}`,
  tooLarge: (n: number) => `BPF program is too large. Processed ${n} insn`,
  infiniteLoop: (i: number) => `infinite loop detected at insn ${i}`,

  // registers
  regInvalid: (r: number) => `R${r} is invalid`,
  notReadOk: (r: number) => `R${r} !read_ok`,
  fpReadOnly: () => 'frame pointer is read only',
  ptrArithProhibited: (r: number) => `R${r} pointer arithmetic prohibited`,
  partialCopy: (r: number) => `R${r} partial copy of pointer`,
  sextPointer: (r: number) => `R${r} sign-extension part of pointer`,
  ptrComparison: (r: number) => `R${r} pointer comparison prohibited`,
  leaksAddrIntoMap: (r: number) => `R${r} leaks addr into map`,

  // pointer arithmetic (adjust_ptr_min_max_vals)
  ptrArith32: (r: number) => `R${r} 32-bit pointer arithmetic prohibited`,
  ptrArithNull: (r: number, t: string) =>
    `R${r} pointer arithmetic on ${t} prohibited, null-check it first`,
  ptrArithOn: (r: number, t: string) => `R${r} pointer arithmetic on ${t} prohibited`,
  ptrOpPtr: (r: number, op: string) => `R${r} pointer ${op} pointer prohibited`,
  subPtrFromScalar: (r: number) => `R${r} tried to subtract pointer from scalar`,
  subFromStackPtr: (r: number) => `R${r} subtraction from stack pointer prohibited`,
  bitwiseOnPtr: (r: number, op: string) => `R${r} bitwise operator ${op} on pointer prohibited`,
  ptrArithOp: (r: number, op: string) => `R${r} pointer arithmetic with ${op} operator prohibited`,
  mathBetween: (t: string, v: string) => `math between ${t} pointer and ${v} is not allowed`,
  ptrOffNotAllowed: (t: string, off: number) => `${t} pointer offset ${off} is not allowed`,
  valueMakesOob: (v: string, t: string) => `value ${v} makes ${t} pointer be out of bounds`,
  ptrArithOfPtrs: () => 'pointer arithmetic of map value goes out of range, prohibited for !root',

  // memory access
  invalidMemAccess: (r: number, t: string) => `R${r} invalid mem access '${t}'`,
  offsetOutsidePacket: (r: number) => `R${r} offset is outside of the packet`,
  invalidPacketAccess: (off: number, size: number, r: number) =>
    `invalid access to packet, off=${off} size=${size}, R${r}(id=0,off=${off},r=0)`,
  minOutsideMem: (r: number) => `R${r} min value is outside of the allowed memory range`,
  maxOutsideMem: (r: number) => `R${r} max value is outside of the allowed memory range`,
  minNegative: (r: number) =>
    `R${r} min value is negative, either use unsigned or 'var &= const'`,
  minNegativeIdx: (r: number) =>
    `R${r} min value is negative, either use unsigned index or do a if (index >=0) check.`,
  unboundedMem: (r: number) =>
    `R${r} unbounded memory access, make sure to bounds check any such access`,
  unboundedMemVar: (r: number) =>
    `R${r} unbounded memory access, use 'var &= const' or 'if (var < const)'`,
  invalidMapValue: (vs: number, off: number, size: number) =>
    `invalid access to map value, value_size=${vs} off=${off} size=${size}`,
  invalidMapKey: (ks: number, off: number, size: number) =>
    `invalid access to map key, key_size=${ks} off=${off} size=${size}`,
  invalidMem: (mem: number, off: number, size: number) =>
    `invalid access to memory, mem_size=${mem} off=${off} size=${size}`,
  writeMapForbidden: (vs: number, off: number, size: number) =>
    `write into map forbidden, value_size=${vs} off=${off} size=${size}`,
  readMapForbidden: (vs: number, off: number, size: number) =>
    `read from map forbidden, value_size=${vs} off=${off} size=${size}`,
  invalidCtxAccess: (off: number, size: number) => `invalid bpf_context access off=${off} size=${size}`,
  negativeCtxOff: (r: number, off: number) => `negative offset ctx ptr R${r} off=${off} disallowed`,
  modifiedCtx: (r: number, off: number) => `dereference of modified ctx ptr R${r} off=${off} disallowed`,
  varCtxAccess: (tn: string) => `variable ctx access var_off=${tn} disallowed`,
  varStackAccess: (r: number, tn: string, off: number, size: number) =>
    `variable stack access var_off=${tn} off=${off} size=${size}`,
  invalidStackWrite: (r: number, off: number, size: number) =>
    `invalid write to stack R${r} off=${off} size=${size}`,
  invalidStackRead: (r: number, off: number, size: number) =>
    `invalid read from stack R${r} off=${off} size=${size}`,
  invalidStackOff: (r: number, off: number, size: number) =>
    `invalid read from stack R${r} off ${off}+0 size ${size}`,
  stackDepth: (d: number) => `stack depth ${d}`,
  invalidFillSize: () => 'invalid size of register fill',
  misaligned: (what: string, prefix: string, off: number, insnOff: number, size: number) =>
    `misaligned ${what}access off ${prefix}+${off}+${insnOff} size ${size}`,
  misalignedStack: (tn: string, off: number, size: number) =>
    `misaligned stack access off ${tn}+${off} size ${size}`,
  atomicIntoCtx: (r: number, t: string) => `BPF_ATOMIC stores into R${r} ${t} is not allowed`,
  cannotWriteInto: (r: number, t: string) => `R${r} cannot write into ${t}`,
  invalidSockAccess: (r: number, t: string, off: number, size: number) =>
    `R${r} invalid ${t} access off=${off} size=${size}`,
  zeroSizedRead: (r: number, size: string) => `R${r} invalid zero-sized read: ${size}`,
  sameInsnDifferentPtrs: () => 'same insn cannot be used with different pointers',

  // helpers
  invalidFunc: (name: string, id: number) => `invalid func ${name}#${id}`,
  unknownFunc: (name: string, id: number) => `unknown func ${name}#${id}`,
  helperNotAllowed: (name: string, id: number) =>
    `program of this type cannot use helper ${name}#${id}`,
  gplOnly: () => 'cannot call GPL-restricted function from non-GPL compatible program',
  argType: (r: number, got: string, expected: string) => `R${r} type=${got} expected=${expected}`,
  cannotPassMap: (mapType: number, name: string, id: number) =>
    `cannot pass map_type ${mapType} into func ${name}#${id}`,
  helperPacket: () => 'helper access to the packet is not allowed',
  mustBeReferenced: (r: number) => `R${r} must be referenced when passed to release function`,
  refLeak: () => 'BPF_EXIT instruction in main prog would lead to reference leak',
  refLeakLdAbs: () => 'BPF_LD_[ABS|IND] would lead to reference leak',
  refLeakTailCall: () => 'tail_call would lead to reference leak',
  unreleasedRef: (id: number, insn: number) => `Unreleased reference id=${id} alloc_insn=${insn}`,
  ldAbsNeedsSkb: () => 'BPF_LD_[ABS|IND] instructions not allowed for this program type',
  ldAbsReserved: () => 'BPF_LD_[ABS|IND] uses reserved fields',
  callsWhileLocked: () => 'function calls are not allowed while holding a lock',
  callStackTooDeep: (n: number) => `the call stack of ${n} frames is too deep !`,
  combinedStack: (n: number, size: number) => `combined stack size of ${n} calls is ${size}. Too large`,
  callTooDeep: (n: number) => `the call stack of ${n} frames is too deep`,
  cannotReturnStack: () => 'cannot return stack pointer to the caller',
  atExit: (reg: string, what: string) => `At program exit the register ${reg} ${what}`,
  getLocalStorageFlags: () => "get_local_storage() doesn't support non-zero flags",
  invalidZeroSize: (r: number) => `R${r} invalid zero-sized read`,
  notModelled: (what: string) => `not modelled: ${what}`,
} as const;
