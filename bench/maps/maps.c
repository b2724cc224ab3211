/*
 * The C baseline of bench/maps: the same map operations as the TypeScript bench, straight
 * through syscall(SYS_bpf). Compiled by bench/maps/run.ts with the system cc into a temp dir.
 * Usage: maps <single-iterations> <batch-entries> <batch-rounds>
 * Prints one JSON object with ops/s for each measurement.
 */
#define _GNU_SOURCE
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long sys_bpf(int cmd, union bpf_attr *attr) {
  return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int create_hash(uint32_t max_entries) {
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.map_type = BPF_MAP_TYPE_HASH;
  a.key_size = 4;
  a.value_size = 8;
  a.max_entries = max_entries;
  int fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
  if (fd < 0) { perror("BPF_MAP_CREATE"); exit(1); }
  return fd;
}

static int update(int fd, uint32_t key, uint64_t value) {
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.map_fd = fd;
  a.key = (uint64_t)(uintptr_t)&key;
  a.value = (uint64_t)(uintptr_t)&value;
  a.flags = BPF_ANY;
  return (int)sys_bpf(BPF_MAP_UPDATE_ELEM, &a);
}

static int lookup(int fd, uint32_t key, uint64_t *value) {
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.map_fd = fd;
  a.key = (uint64_t)(uintptr_t)&key;
  a.value = (uint64_t)(uintptr_t)value;
  return (int)sys_bpf(BPF_MAP_LOOKUP_ELEM, &a);
}

int main(int argc, char **argv) {
  long iters = argc > 1 ? atol(argv[1]) : 200000;
  uint32_t entries = argc > 2 ? (uint32_t)atol(argv[2]) : 100000;
  long rounds = argc > 3 ? atol(argv[3]) : 5;

  /* Single operations on a small hash map: the cost is the syscall, not the table. */
  int fd = create_hash(1024);
  for (uint32_t k = 0; k < 1024; k++) update(fd, k, k);
  uint64_t v = 0, sum = 0;
  double t0 = now();
  for (long i = 0; i < iters; i++) {
    if (lookup(fd, (uint32_t)(i & 1023), &v) != 0) { perror("lookup"); return 1; }
    sum += v;
  }
  double lookup_s = now() - t0;
  t0 = now();
  for (long i = 0; i < iters; i++) {
    if (update(fd, (uint32_t)(i & 1023), (uint64_t)i) != 0) { perror("update"); return 1; }
  }
  double update_s = now() - t0;
  close(fd);

  /* Batch lookup of every entry of a full hash map, in chunks as large as the map. */
  fd = create_hash(entries);
  for (uint32_t k = 0; k < entries; k++) update(fd, k, (uint64_t)k * 3);
  uint32_t *keys = malloc(sizeof(uint32_t) * entries);
  uint64_t *values = malloc(sizeof(uint64_t) * entries);
  uint64_t out_batch = 0;
  long total = 0;
  t0 = now();
  for (long r = 0; r < rounds; r++) {
    union bpf_attr a;
    int first = 1;
    uint32_t got = 0;
    while (got < entries) {
      memset(&a, 0, sizeof(a));
      a.batch.in_batch = first ? 0 : (uint64_t)(uintptr_t)&out_batch;
      a.batch.out_batch = (uint64_t)(uintptr_t)&out_batch;
      a.batch.keys = (uint64_t)(uintptr_t)(keys + got);
      a.batch.values = (uint64_t)(uintptr_t)(values + got);
      a.batch.count = entries - got;
      a.batch.map_fd = fd;
      long rc = sys_bpf(BPF_MAP_LOOKUP_BATCH, &a);
      got += a.batch.count;
      first = 0;
      if (rc != 0) break; /* ENOENT: the walk is complete */
    }
    total += got;
  }
  double batch_s = now() - t0;
  for (uint32_t i = 0; i < entries; i++) sum += values[i];
  close(fd);

  printf("{\"lookupOpsPerSec\":%.0f,\"updateOpsPerSec\":%.0f,\"batchEntriesPerSec\":%.0f,"
         "\"batchEntries\":%ld,\"checksum\":%llu}\n",
         iters / lookup_s, iters / update_s, total / batch_s, total / rounds,
         (unsigned long long)sum);
  return 0;
}
