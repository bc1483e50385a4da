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
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <locale.h>
#include <wchar.h>
#include <wctype.h>

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

/* Reads the directory open as fd from its start with getdents64 on that very descriptor:
   no second descriptor (a dup for fdopendir would cost one more against ulimit -n). */
int zcp_read_directory(int fd, void *context,
                       void (*each)(void *context, const char *name, uint64_t ino, unsigned char type)) {
  if (lseek(fd, 0, SEEK_SET) < 0) return -1;
  char buf[32768] __attribute__((aligned(8)));
  for (;;) {
    long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) return 0;
    for (long at = 0; at < n;) {
      struct zcp_dirent64 {
        uint64_t d_ino;
        int64_t d_off;
        unsigned short d_reclen;
        unsigned char d_type;
        char d_name[];
      } *entry = (struct zcp_dirent64 *)(buf + at);
      at += entry->d_reclen;
      const char *name = entry->d_name;
      if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
      each(context, name, entry->d_ino, entry->d_type);
    }
  }
}

/* Files a second stop signal removes: a list that only grows (a node is reused once
   cleared, never freed), so it holds as many files as are in flight at once, whatever -j is,
   and the handler walks it without locks or allocation. */
struct cleanup_node {
  _Atomic int used;
  _Atomic int dirfd;
  _Atomic(char *) name;
  struct cleanup_node *next;
};
static _Atomic(struct cleanup_node *) cleanup_head;
/* Files being made and not yet registered, and whether the second signal's cleanup began:
   the cleanup waits for the first to reach zero after it set the second, and a creation
   that sees the second never starts. A handler that runs on a thread in the middle of a
   creation cannot wait for it: it leaves the cleanup to that thread, which does it as soon
   as its file is registered (otherwise the file it just made would outlive the exit). */
static _Atomic int creating;
static _Atomic int dying;
static _Thread_local volatile sig_atomic_t creating_here;
// The signal whose cleanup this thread owes (set by a handler on this thread).
static _Thread_local volatile sig_atomic_t exit_after_creation;

static void remove_registered(void) {
  for (struct cleanup_node *n = atomic_load(&cleanup_head); n; n = n->next) {
    char *name = atomic_exchange(&n->name, NULL);
    if (name) unlinkat(atomic_load(&n->dirfd), name, 0);
  }
}

/* The second signal's end, on a thread that makes nothing itself: what other threads are
   making now is registered within moments (2 s at the most), then removed. */
static void remove_all_and_exit(int sig) {
  remove_registered();
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (atomic_load(&creating) > 0) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec >= 2) break;
    sched_yield();
  }
  remove_registered();
  _exit(128 + sig);
}

void zcp_creation_begin(void) {
  creating_here = 1;
  atomic_fetch_add(&creating, 1);
  if (atomic_load(&dying)) {
    atomic_fetch_sub(&creating, 1);
    creating_here = 0;
    if (exit_after_creation) remove_all_and_exit(exit_after_creation);
    for (;;) pause();  // the process is exiting
  }
}

void zcp_creation_end(void) {
  atomic_fetch_sub(&creating, 1);
  creating_here = 0;
  if (exit_after_creation) remove_all_and_exit(exit_after_creation);
}
static _Atomic int pending_signal;
/* The self-pipe: the handler writes a byte, so a wait that polls it wakes whenever the signal
   came (before the wait or during it) and on whichever thread the handler ran. Made by the
   first wait (a FIFO or device source), so a run that never waits holds no descriptor for
   it. The waiter stores the write end before it looks at pending_signal, and the handler
   sets pending_signal before it loads the write end: one of the two sees the other. */
static int stop_pipe_read = -1;
static _Atomic int stop_pipe_write = -1;
static pthread_once_t stop_pipe_once = PTHREAD_ONCE_INIT;

static void make_stop_pipe(void) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return;
  stop_pipe_read = fds[0];
  atomic_store(&stop_pipe_write, fds[1]);
}

static void on_signal(int sig) {
  int none = 0;
  if (atomic_compare_exchange_strong(&pending_signal, &none, sig)) {
    int w = atomic_load(&stop_pipe_write);
    if (w >= 0) {
      int saved = errno;
      ssize_t ignored = write(w, "s", 1);
      (void)ignored;
      errno = saved;
    }
    return;
  }
  // Asked twice: no more waiting for the copies to wind down.
  atomic_store(&dying, 1);
  if (creating_here) {
    exit_after_creation = sig;  // zcp_creation_end, in moments
    return;
  }
  remove_all_and_exit(sig);
}

void zcp_install_signal_handlers(void) {
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

int zcp_pending_signal(void) { return atomic_load(&pending_signal); }

int zcp_wait_readable(int fd) {
  pthread_once(&stop_pipe_once, make_stop_pipe);
  struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = stop_pipe_read, .events = POLLIN}};
  for (;;) {
    if (atomic_load(&pending_signal)) return 0;
    int r = poll(p, stop_pipe_read >= 0 ? 2 : 1, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (stop_pipe_read >= 0 && p[1].revents) return 0;
    return 1;
  }
}

void *zcp_cleanup_register(int dirfd, const char *name) {
  char *copy = strdup(name);
  if (!copy) return NULL;
  struct cleanup_node *node = NULL;
  for (struct cleanup_node *n = atomic_load(&cleanup_head); n && !node; n = n->next) {
    int expected = 0;
    if (atomic_compare_exchange_strong(&n->used, &expected, 1)) node = n;
  }
  if (!node) {
    node = calloc(1, sizeof *node);
    if (!node) { free(copy); return NULL; }
    atomic_store(&node->used, 1);
    struct cleanup_node *head = atomic_load(&cleanup_head);
    do node->next = head; while (!atomic_compare_exchange_weak(&cleanup_head, &head, node));
  }
  atomic_store(&node->dirfd, dirfd);  // before the name, which the handler reads first
  atomic_store(&node->name, copy);
  return node;
}

void zcp_cleanup_clear(void *slot) {
  struct cleanup_node *node = slot;
  if (!node) return;
  free(atomic_exchange(&node->name, NULL));
  atomic_store(&node->used, 0);
}

long zcp_online_cpus(void) { return sysconf(_SC_NPROCESSORS_ONLN); }

static _Atomic int64_t progress_bytes;
// Saturates at INT64_MAX: a run of exabyte files (or clones) cannot wrap the count.
void zcp_progress_add(int64_t n) {
  int64_t old = atomic_load_explicit(&progress_bytes, memory_order_relaxed), sum;
  do {
    sum = (n > 0 && old > INT64_MAX - n) ? INT64_MAX : old + n;
  } while (!atomic_compare_exchange_weak_explicit(&progress_bytes, &old, sum, memory_order_relaxed,
                                                  memory_order_relaxed));
}
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

int zcp_usage(int64_t *cpu_ns, int64_t *waits, int64_t *blocks_read) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
  *cpu_ns = ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL
            + ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
  *waits = ru.ru_nvcsw;
  *blocks_read = ru.ru_inblock;
  return 0;
}

int zcp_locale_multibyte(void) {
  setlocale(LC_CTYPE, "");
  return MB_CUR_MAX > 1;
}

long zcp_character(const unsigned char *s, size_t n, int *printable) {
  mbstate_t state;
  memset(&state, 0, sizeof state);
  wchar_t w = 0;
  size_t r = mbrtowc(&w, (const char *)s, n, &state);
  if (r == (size_t)-1 || r == 0) return -1;
  if (r == (size_t)-2) return -2;
  *printable = iswprint((wint_t)w) != 0;
  return (long)r;
}
