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

int zcp_pipe(int fds[2]);
int zcp_stat(const char *path, int follow, struct stat *st);

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

#endif
