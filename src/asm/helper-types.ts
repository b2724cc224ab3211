/**
 * The shapes of the helper table: kernel helper prototypes (`struct bpf_func_proto`) as plain
 * data. Type names are the kernel's enum members without their `ARG_`/`RET_` prefix, with the
 * kernel's convenience aliases (`ARG_PTR_TO_UNINIT_MEM`, `RET_PTR_TO_MAP_VALUE_OR_NULL`, ...)
 * split into a base type and `enum bpf_type_flag` flags, as the verifier's `base_type()` and
 * `type_flag()` see them.
 * @module
 */

/** `enum bpf_arg_type` base types (Linux 6.18), without the `ARG_` prefix. */
export type HelperArgType =
  | 'DONTCARE' | 'CONST_MAP_PTR' | 'PTR_TO_MAP_KEY' | 'PTR_TO_MAP_VALUE' | 'PTR_TO_MEM'
  | 'PTR_TO_ARENA' | 'CONST_SIZE' | 'CONST_SIZE_OR_ZERO' | 'PTR_TO_CTX' | 'ANYTHING'
  | 'PTR_TO_SPIN_LOCK' | 'PTR_TO_SOCK_COMMON' | 'PTR_TO_SOCKET' | 'PTR_TO_BTF_ID'
  | 'PTR_TO_RINGBUF_MEM' | 'CONST_ALLOC_SIZE_OR_ZERO' | 'PTR_TO_BTF_ID_SOCK_COMMON'
  | 'PTR_TO_PERCPU_BTF_ID' | 'PTR_TO_FUNC' | 'PTR_TO_STACK' | 'PTR_TO_CONST_STR' | 'PTR_TO_TIMER'
  | 'KPTR_XCHG_DEST' | 'PTR_TO_DYNPTR';

/** `enum bpf_return_type` base types (Linux 6.18), without the `RET_` prefix. */
export type HelperRetType =
  | 'INTEGER' | 'VOID' | 'PTR_TO_MAP_VALUE' | 'PTR_TO_SOCKET' | 'PTR_TO_TCP_SOCK'
  | 'PTR_TO_SOCK_COMMON' | 'PTR_TO_MEM' | 'PTR_TO_MEM_OR_BTF_ID' | 'PTR_TO_BTF_ID';

/** `enum bpf_type_flag` members (Linux 6.18) that modify an argument or return type. */
export type HelperTypeFlag =
  | 'PTR_MAYBE_NULL' | 'MEM_RDONLY' | 'MEM_RINGBUF' | 'MEM_USER' | 'MEM_PERCPU' | 'OBJ_RELEASE'
  | 'PTR_UNTRUSTED' | 'MEM_UNINIT' | 'DYNPTR_TYPE_LOCAL' | 'DYNPTR_TYPE_RINGBUF' | 'MEM_FIXED_SIZE'
  | 'MEM_ALLOC' | 'PTR_TRUSTED' | 'MEM_RCU' | 'NON_OWN_REF' | 'DYNPTR_TYPE_SKB' | 'DYNPTR_TYPE_XDP'
  | 'MEM_ALIGNED' | 'MEM_WRITE' | 'DYNPTR_TYPE_SKB_META';

/** One argument of a helper prototype (`argN_type` with `argN_size` / `argN_btf_id`). */
export interface HelperArg {
  /** Base type (`base_type(arg_type)`). */
  readonly type: HelperArgType;
  /** Flags (`type_flag(arg_type)`), in `enum bpf_type_flag` order. */
  readonly flags: readonly HelperTypeFlag[];
  /** `argN_size` in bytes, present exactly when the flags hold `MEM_FIXED_SIZE`. */
  readonly size?: number;
  /**
   * `argN_btf_id` as the kernel spells the BTF id reference (e.g.
   * `btf_tracing_ids[BTF_TRACING_TYPE_TASK]`); resolve it against vmlinux BTF when needed.
   */
  readonly btfId?: string;
}

/** The return type of a helper prototype (`ret_type` with `ret_btf_id`). */
export interface HelperRet {
  /** Base type (`base_type(ret_type)`). */
  readonly type: HelperRetType;
  /** Flags (`type_flag(ret_type)`), in `enum bpf_type_flag` order. */
  readonly flags: readonly HelperTypeFlag[];
  /** `ret_btf_id` as the kernel spells it, when set. */
  readonly btfId?: string;
}

/** One `const struct bpf_func_proto` definition of the kernel. */
export interface HelperProto {
  /** The helper id this proto implements, when some program type's `get_func_proto` returns it. */
  readonly helper?: number;
  /** The C symbol of the proto, e.g. `bpf_map_lookup_elem_proto`; unique across the table. */
  readonly symbol: string;
  /** Source file (inside the Linux tree) defining it. */
  readonly file: string;
  /** `.gpl_only`: callable only from GPL-compatible programs. */
  readonly gplOnly: boolean;
  /** `.pkt_access`: may be passed pointers into packet data. */
  readonly pktAccess: boolean;
  /** `.might_sleep`: only callable from sleepable programs. */
  readonly mightSleep: boolean;
  /** `.allow_fastcall`: follows the bpf_fastcall contract (scratches only r0..rN). */
  readonly allowFastcall: boolean;
  /** Return type. */
  readonly ret: HelperRet;
  /** Arguments r1.. up to the last one that is not `DONTCARE`. */
  readonly args: readonly HelperArg[];
  /** Name of the `.allowed(prog)` callback, when the proto has one (the verifier rejects calls it refuses). */
  readonly allowed?: string;
}

/**
 * Per-helper facts the verifier keys on the helper id rather than on the proto (Linux 6.18
 * kernel/bpf/verifier.c and net/core/filter.c predicates).
 */
export interface HelperTraits {
  /** `bpf_helper_changes_pkt_data()`: the call invalidates packet pointers (tail_call included). */
  readonly changesPktData: boolean;
  /**
   * `is_acquire_function()`: the result holds a reference to release. `map_lookup_elem` is also
   * one when its map is a sockmap or sockhash (it is false here, as for other maps).
   */
  readonly acquire: boolean;
  /** `is_ptr_cast_function()`: returns its socket argument as another socket type. */
  readonly ptrCast: boolean;
  /** `is_dynptr_ref_function()`: returns memory of a dynptr argument. */
  readonly dynptrRef: boolean;
  /** `is_sync_callback_calling_function()`: calls a BPF callback before returning. */
  readonly syncCallback: boolean;
  /** `is_async_callback_calling_function()`: registers a BPF callback run later. */
  readonly asyncCallback: boolean;
  /** `is_storage_get_function()`: a local-storage get (sk, inode, task, cgroup). */
  readonly storageGet: boolean;
}

/** A kernel helper: its uapi id and name, and every proto the kernel may pick for it. */
export interface Helper {
  /** `BPF_FUNC_*` value, the `imm` of a helper call. */
  readonly id: number;
  /** Name without the `bpf_` prefix, as in `___BPF_FUNC_MAPPER` (e.g. `map_lookup_elem`). */
  readonly name: string;
  /** Every proto some program type's `get_func_proto` returns for this id (empty for `unspec`). */
  readonly protos: readonly HelperProto[];
  /** Verifier facts about this helper id. */
  readonly traits: HelperTraits;
}
