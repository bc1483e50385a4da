// Thin C shim: what Glibc's Swift module does not expose.
#ifndef CZCP_H
#define CZCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <getopt.h>
#include <sys/xattr.h>

// Every function returns the raw kernel result; on failure -1 with errno set.
ssize_t zcp_copy_file_range(int fd_in, int64_t *off_in, int fd_out, int64_t *off_out,
                            size_t len, unsigned int flags);
ssize_t zcp_sendfile(int out_fd, int in_fd, int64_t *offset, size_t count);
ssize_t zcp_splice(int fd_in, int64_t *off_in, int fd_out, int64_t *off_out,
                   size_t len, unsigned int flags);
int zcp_ficlone(int dest_fd, int src_fd);
int zcp_set_pipe_size(int fd, int size);
int64_t zcp_seek_data(int fd, int64_t offset);
int64_t zcp_seek_hole(int fd, int64_t offset);
long zcp_fs_type(int fd);
int zcp_fadvise_sequential(int fd);
// preadv2 with RWF_DONTCACHE: read without leaving the pages cached (EOPNOTSUPP where the
// filesystem cannot, as tmpfs).
ssize_t zcp_pread_dontcache(int fd, void *buf, size_t count, int64_t offset);
// posix_fadvise(POSIX_FADV_DONTNEED) over [offset, offset+length) (length 0: to the end).
int zcp_fadvise_dontneed(int fd, int64_t offset, int64_t length);
// pwritev2 with RWF_DONTCACHE: written back and dropped once written (EOPNOTSUPP on tmpfs).
ssize_t zcp_pwrite_dontcache(int fd, const void *buf, size_t count, int64_t offset);
// sync_file_range over [offset, offset+length): start writeback, or (wait) write and wait.
int zcp_sync_range(int fd, int64_t offset, int64_t length, int wait);
// mincore of [offset, offset+length) of a file (offset page-aligned): one byte per page,
// bit 0 set where the page is in the page cache.
int zcp_resident(int fd, int64_t offset, int64_t length, unsigned char *pages);
// CPU time (user + system) of the whole process so far, in nanoseconds, how often its
// threads gave up the CPU to wait (voluntary context switches), and how many 512-byte blocks
// it read from storage: getrusage.
int zcp_usage(int64_t *cpu_ns, int64_t *waits, int64_t *blocks_read);

int zcp_pipe(int fds[2]);
// setlocale(LC_CTYPE, "") from the environment; whether its characters take several bytes.
int zcp_locale_multibyte(void);
// The character at s (n bytes available) in that locale: its length and whether iswprint
// calls it printable; -1 for an invalid sequence, -2 for one cut short.
long zcp_character(const unsigned char *s, size_t n, int *printable);
int zcp_stat(const char *path, int follow, struct stat *st);
int zcp_fstatat(int dirfd, const char *name, int follow, struct stat *st);
int zcp_fsync(int fd);
// Reads a directory through a descriptor (which stays open): calls `each` for every entry
// but "." and "..", returns 0 or -1 with errno set.
int zcp_read_directory(int fd, void *context,
                       void (*each)(void *context, const char *name, uint64_t ino, unsigned char type));

// Signals. SIGINT, SIGTERM and SIGHUP are caught once: the number is kept for the engine to
// see (blocking calls return EINTR), and a second one removes the files registered below and
// exits at once with 128+signal. SIGXFSZ and SIGPIPE are ignored: their errors come back as
// EFBIG and EPIPE.
void zcp_install_signal_handlers(void);
int zcp_pending_signal(void);
/* Waits until `fd` can be read (1; also at EOF or on an error there) or a stop signal came
   (0), whenever it came; -1 with errno when poll fails. */
int zcp_wait_readable(int fd);
// A partly written file to remove if the process must exit from a signal handler.
void *zcp_cleanup_register(int dirfd, const char *name);
void zcp_cleanup_clear(void *slot);
// Around making a file and registering it: a second stop signal waits for creations under way
// to be registered, and a creation that begins after it never returns (the process is exiting).
void zcp_creation_begin(void);
void zcp_creation_end(void);
long zcp_online_cpus(void);

// Bytes moved so far by every thread (for --progress).
void zcp_progress_add(int64_t n);
int64_t zcp_progress_bytes(void);

int zcp_errno(void);
void zcp_set_errno(int value);
const char *zcp_errno_name(int value);

// getopt_long state, which Swift cannot touch safely as C globals.
const char *zcp_optarg(void);
int zcp_optind(void);
int zcp_optopt(void);
void zcp_getopt_reset(void);
void zcp_set_opterr(int value);

// Timestamps in nanoseconds.
int64_t zcp_monotonic_ns(void);
int zcp_isatty(int fd);
// Columns of the terminal on fd, or 0.
int zcp_terminal_width(int fd);
// Sleeps for ms milliseconds (interrupted early by a signal).
void zcp_sleep_ms(int ms);

#endif
