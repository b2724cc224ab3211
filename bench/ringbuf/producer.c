// The producer of bench/ringbuf's live mode: runs a loaded program (by id) with BPF_PROG_TEST_RUN,
// `repeat` runs per call, until `total` runs are done, so records arrive while a consumer reads.
// With a rate (runs per second), it sleeps between calls to keep that pace.
//   producer <prog_id> <total> <repeat> [rate]      prints: <runs> <nanoseconds>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long bpf(int cmd, union bpf_attr *attr) { return syscall(__NR_bpf, cmd, attr, sizeof(*attr)); }

int main(int argc, char **argv) {
  if (argc != 4 && argc != 5) { fprintf(stderr, "usage: %s <prog_id> <total> <repeat> [rate]\n", argv[0]); return 2; }
  double rate = argc == 5 ? atof(argv[4]) : 0;
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_id = (uint32_t)atoi(argv[1]);
  int fd = (int)bpf(BPF_PROG_GET_FD_BY_ID, &attr);
  if (fd < 0) { perror("BPF_PROG_GET_FD_BY_ID"); return 1; }
  uint64_t total = strtoull(argv[2], NULL, 10);
  uint32_t repeat = (uint32_t)atoi(argv[3]);
  static uint8_t pkt[64];
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  uint64_t runs = 0;
  while (runs < total) {
    uint32_t n = total - runs < repeat ? (uint32_t)(total - runs) : repeat;
    memset(&attr, 0, sizeof(attr));
    attr.test.prog_fd = fd;
    attr.test.data_in = (uint64_t)(uintptr_t)pkt;
    attr.test.data_size_in = sizeof(pkt);
    attr.test.repeat = n;
    if (bpf(BPF_PROG_TEST_RUN, &attr) < 0) { perror("BPF_PROG_TEST_RUN"); return 1; }
    runs += n;
    if (rate > 0) {
      // Sleep until the time these runs are due at the requested rate (absolute, so no drift).
      uint64_t due = (uint64_t)a.tv_sec * 1000000000ull + a.tv_nsec + (uint64_t)(runs / rate * 1e9);
      struct timespec t = { .tv_sec = due / 1000000000ull, .tv_nsec = due % 1000000000ull };
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%llu %llu\n", (unsigned long long)runs,
         (unsigned long long)((b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec)));
  return 0;
}
