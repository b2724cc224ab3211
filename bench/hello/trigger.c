/*
 * bench/hello trigger: runs /bin/true every INTERVAL_US microseconds (fork, execve, wait), so a
 * freshly started tracer sees an execve within about one interval of attaching. Runs until killed.
 * Usage: trigger INTERVAL_US
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long us = argc > 1 ? atol(argv[1]) : 2000;
  struct timespec pause = { us / 1000000, (us % 1000000) * 1000 };
  for (;;) {
    pid_t pid = fork();
    if (pid == 0) {
      execl("/bin/true", "true", (char *)0);
      _exit(127);
    }
    if (pid > 0) waitpid(pid, 0, 0);
    nanosleep(&pause, 0);
  }
}
