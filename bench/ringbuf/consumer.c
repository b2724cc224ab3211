// The C side of bench/ringbuf: consumes a BPF ring buffer the way libbpf's ring_buffer__consume does
// (consumer page mapped read-write, producer page + twice-mapped data read-only, acquire loads of the
// positions and headers, release store of the consumer position after each record), and sums the low
// 32 bits of each record's first word so the work per record matches the TypeScript consumer's.
//
//   consumer drain <map_id> <records>       drain a pre-filled ring, time only the drain
//   consumer live  <map_id> <idle_ms>       print "ready", then consume with epoll until no record
//                                           arrived for idle_ms; time from first to last record
// Prints one line: <records> <nanoseconds> <checksum> <cpu nanoseconds used by the process>
#define _GNU_SOURCE
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define BUSY (1u << 31)
#define DISCARD (1u << 30)

static long bpf(int cmd, union bpf_attr *attr) { return syscall(__NR_bpf, cmd, attr, sizeof(*attr)); }

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static volatile uint64_t *cons_pos, *prod_pos;
static uint8_t *data;
static uint64_t mask, records, checksum;

static uint64_t cpu_ns(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (uint64_t)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000000000ull +
         (uint64_t)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1000ull;
}

static uint64_t drain(void) {
  uint64_t got = 0;
  uint64_t cons = *cons_pos;
  for (;;) {
    uint64_t prod = __atomic_load_n(prod_pos, __ATOMIC_ACQUIRE);
    if (cons >= prod) break;
    while (cons < prod) {
      uint32_t *hdr = (uint32_t *)(data + (cons & mask));
      uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
      if (len & BUSY) goto out;
      uint32_t size = len & ~(BUSY | DISCARD);
      cons += (size + 8 + 7) & ~7ull;
      if (!(len & DISCARD)) {
        checksum += *(uint32_t *)(hdr + 2);
        got++;
      }
      __atomic_store_n(cons_pos, cons, __ATOMIC_RELEASE);
    }
  }
out:
  records += got;
  return got;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s drain|live <map_id> <records|idle_ms>\n", argv[0]);
    return 2;
  }
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.map_id = (uint32_t)atoi(argv[2]);
  int fd = (int)bpf(BPF_MAP_GET_FD_BY_ID, &attr);
  if (fd < 0) { perror("BPF_MAP_GET_FD_BY_ID"); return 1; }
  struct bpf_map_info info;
  memset(&info, 0, sizeof(info));
  memset(&attr, 0, sizeof(attr));
  attr.info.bpf_fd = fd;
  attr.info.info_len = sizeof(info);
  attr.info.info = (uint64_t)(uintptr_t)&info;
  if (bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0) { perror("BPF_OBJ_GET_INFO_BY_FD"); return 1; }
  long ps = sysconf(_SC_PAGESIZE);
  mask = info.max_entries - 1;
  void *c = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  void *p = mmap(NULL, ps + 2 * (size_t)info.max_entries, PROT_READ, MAP_SHARED, fd, ps);
  if (c == MAP_FAILED || p == MAP_FAILED) { perror("mmap"); return 1; }
  cons_pos = c;
  prod_pos = p;
  data = (uint8_t *)p + ps;

  if (strcmp(argv[1], "drain") == 0) {
    uint64_t want = strtoull(argv[3], NULL, 10);
    /* Fault the ring's pages in before the clock starts: the TS reader keeps its mapping across
     * rounds (best of N), so a fresh C process would otherwise be timing page faults, not the drain. */
    volatile uint8_t sink = 0;
    for (size_t off = 0; off < ps + 2 * (size_t)info.max_entries; off += (size_t)ps) sink ^= ((volatile uint8_t *)p)[off];
    (void)sink;
    uint64_t t0 = now_ns();
    while (records < want && drain() > 0) {}
    uint64_t t1 = now_ns();
    printf("%llu %llu %llu %llu\n", (unsigned long long)records, (unsigned long long)(t1 - t0),
           (unsigned long long)checksum, (unsigned long long)cpu_ns());
    return records == want ? 0 : 1;
  }

  int idle = atoi(argv[3]);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) { perror("epoll_ctl"); return 1; }
  printf("ready\n");
  fflush(stdout);
  uint64_t first = 0, last = 0;
  for (;;) {
    int n = epoll_wait(ep, &ev, 1, records ? idle : 10000);
    if (n < 0) { perror("epoll_wait"); return 1; }
    if (n == 0) break;
    uint64_t woke = now_ns();
    if (drain() > 0) {
      if (!first) first = woke;
      last = now_ns();
    }
  }
  printf("%llu %llu %llu %llu\n", (unsigned long long)records, (unsigned long long)(last - first),
         (unsigned long long)checksum, (unsigned long long)cpu_ns());
  return 0;
}
