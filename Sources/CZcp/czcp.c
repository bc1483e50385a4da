#define _GNU_SOURCE
#include "czcp.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <linux/magic.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

ssize_t zcp_copy_file_range(int fd_in, int64_t *off_in, int fd_out, int64_t *off_out,
                            size_t len, unsigned int flags) {
  return copy_file_range(fd_in, (off_t *)off_in, fd_out, (off_t *)off_out, len, flags);
}

ssize_t zcp_sendfile(int out_fd, int in_fd, int64_t *offset, size_t count) {
  return sendfile(out_fd, in_fd, (off_t *)offset, count);
}

ssize_t zcp_splice(int fd_in, int64_t *off_in, int fd_out, int64_t *off_out,
                   size_t len, unsigned int flags) {
  return splice(fd_in, (loff_t *)off_in, fd_out, (loff_t *)off_out, len, flags);
}

int zcp_ficlone(int dest_fd, int src_fd) { return ioctl(dest_fd, FICLONE, src_fd); }

int zcp_set_pipe_size(int fd, int size) { return fcntl(fd, F_SETPIPE_SZ, size); }

int64_t zcp_seek_data(int fd, int64_t offset) { return lseek(fd, offset, SEEK_DATA); }
int64_t zcp_seek_hole(int fd, int64_t offset) { return lseek(fd, offset, SEEK_HOLE); }

long zcp_fs_type(int fd) {
  struct statfs sfs;
  if (fstatfs(fd, &sfs) != 0) return -1;
  return (long)sfs.f_type;
}

int zcp_pipe(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int zcp_stat(const char *path, int follow, struct stat *st) {
  return follow ? stat(path, st) : lstat(path, st);
}

int zcp_fstatat(int dirfd, const char *name, int follow, struct stat *st) {
  return fstatat(dirfd, name, st, follow ? 0 : AT_SYMLINK_NOFOLLOW);
}

int zcp_fsync(int fd) { return fsync(fd); }

int zcp_read_directory(int fd, void *context,
                       void (*each)(void *context, const char *name, uint64_t ino, unsigned char type)) {
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return -1;
  DIR *dir = fdopendir(copy);
  if (!dir) { int e = errno; close(copy); errno = e; return -1; }
  rewinddir(dir);
  for (;;) {
    errno = 0;
    struct dirent *entry = readdir(dir);
    if (!entry) break;
    const char *n = entry->d_name;
    if (n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0))) continue;
    each(context, n, (uint64_t)entry->d_ino, entry->d_type);
  }
  int e = errno;
  closedir(dir);
  errno = e;
  return e ? -1 : 0;
}

enum { CLEANUP_SLOTS = 256 };
static struct {
  _Atomic int used;
  _Atomic int dirfd;
  _Atomic(char *) name;
} cleanup[CLEANUP_SLOTS];
static volatile sig_atomic_t pending_signal;
/* The self-pipe: the handler writes a byte, so a wait that polls it wakes whenever the signal
   came (before the wait or during it) and on whichever thread the handler ran. */
static int stop_pipe[2] = {-1, -1};

static void on_signal(int sig) {
  if (pending_signal == 0) {
    pending_signal = sig;
    if (stop_pipe[1] >= 0) {
      int saved = errno;
      ssize_t ignored = write(stop_pipe[1], "s", 1);
      (void)ignored;
      errno = saved;
    }
    return;
  }
  // Asked twice: no more waiting for the copies to wind down.
  for (int i = 0; i < CLEANUP_SLOTS; i++) {
    char *name = atomic_exchange(&cleanup[i].name, NULL);
    if (name) unlinkat(atomic_load(&cleanup[i].dirfd), name, 0);
  }
  _exit(128 + sig);
}

void zcp_install_signal_handlers(void) {
  if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) stop_pipe[0] = stop_pipe[1] = -1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocked read or write returns EINTR
  int caught[] = {SIGINT, SIGTERM, SIGHUP};
  for (int i = 0; i < 3; i++) {
    struct sigaction old;
    // A signal ignored by whoever started us stays ignored (nohup).
    if (sigaction(caught[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    sigaction(caught[i], &sa, NULL);
  }
  signal(SIGXFSZ, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
}

int zcp_pending_signal(void) { return pending_signal; }

int zcp_wait_readable(int fd) {
  struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = stop_pipe[0], .events = POLLIN}};
  for (;;) {
    if (pending_signal) return 0;
    int r = poll(p, stop_pipe[0] >= 0 ? 2 : 1, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (stop_pipe[0] >= 0 && p[1].revents) return 0;
    return 1;
  }
}

int zcp_cleanup_register(int dirfd, const char *name) {
  char *copy = strdup(name);
  if (!copy) return -1;
  for (int i = 0; i < CLEANUP_SLOTS; i++) {
    int expected = 0;
    if (!atomic_compare_exchange_strong(&cleanup[i].used, &expected, 1)) continue;
    atomic_store(&cleanup[i].dirfd, dirfd);  // before the name, which the handler reads first
    atomic_store(&cleanup[i].name, copy);
    return i;
  }
  free(copy);
  return -1;
}

void zcp_cleanup_clear(int slot) {
  if (slot < 0 || slot >= CLEANUP_SLOTS) return;
  free(atomic_exchange(&cleanup[slot].name, NULL));
  atomic_store(&cleanup[slot].used, 0);
}

long zcp_online_cpus(void) { return sysconf(_SC_NPROCESSORS_ONLN); }

static _Atomic int64_t progress_bytes;
void zcp_progress_add(int64_t n) { atomic_fetch_add_explicit(&progress_bytes, n, memory_order_relaxed); }
int64_t zcp_progress_bytes(void) { return atomic_load_explicit(&progress_bytes, memory_order_relaxed); }

int zcp_fadvise_sequential(int fd) {
  int rc = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  if (rc != 0) { errno = rc; return -1; }
  return 0;
}

int zcp_errno(void) { return errno; }
void zcp_set_errno(int value) { errno = value; }
const char *zcp_errno_name(int value) {
  const char *name = strerrorname_np(value);
  return name ? name : "";
}

const char *zcp_optarg(void) { return optarg; }
int zcp_optind(void) { return optind; }
int zcp_optopt(void) { return optopt; }
void zcp_getopt_reset(void) { optind = 0; }
void zcp_set_opterr(int value) { opterr = value; }

int64_t zcp_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int zcp_isatty(int fd) { return isatty(fd); }

int zcp_terminal_width(int fd) {
  struct winsize ws;
  if (ioctl(fd, TIOCGWINSZ, &ws) != 0) return 0;
  return ws.ws_col;
}

void zcp_sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

#ifndef RWF_DONTCACHE
#define RWF_DONTCACHE 0x00000080
#endif

ssize_t zcp_pread_dontcache(int fd, void *buf, size_t count, int64_t offset) {
  struct iovec iov = {.iov_base = buf, .iov_len = count};
  return preadv2(fd, &iov, 1, (off_t)offset, RWF_DONTCACHE);
}

int zcp_fadvise_dontneed(int fd, int64_t offset, int64_t length) {
  int rc = posix_fadvise(fd, (off_t)offset, (off_t)length, POSIX_FADV_DONTNEED);
  if (rc != 0) { errno = rc; return -1; }
  return 0;
}

ssize_t zcp_pwrite_dontcache(int fd, const void *buf, size_t count, int64_t offset) {
  struct iovec iov = {.iov_base = (void *)buf, .iov_len = count};
  return pwritev2(fd, &iov, 1, (off_t)offset, RWF_DONTCACHE);
}

int zcp_sync_range(int fd, int64_t offset, int64_t length, int wait) {
  unsigned int flags = wait ? SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER
                            : SYNC_FILE_RANGE_WRITE;
  return sync_file_range(fd, (off_t)offset, (off_t)length, flags);
}

int zcp_resident(int fd, int64_t offset, int64_t length, unsigned char *pages) {
  if (length <= 0) return 0;
  void *map = mmap(NULL, (size_t)length, PROT_READ, MAP_SHARED, fd, (off_t)offset);
  if (map == MAP_FAILED) return -1;
  int rc = mincore(map, (size_t)length, pages);
  int e = errno;
  munmap(map, (size_t)length);
  errno = e;
  return rc;
}

int zcp_usage(int64_t *cpu_ns, int64_t *waits) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
  *cpu_ns = ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL
            + ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
  *waits = ru.ru_nvcsw;
  return 0;
}
