#define _GNU_SOURCE
#include "czcp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
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
