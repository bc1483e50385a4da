/// `--help` and `--version` text.
enum Usage {
    static let version = """
        zcp \(zcpVersion)
        A cp for Linux that picks the cheapest kernel copy path for every file and reports it.

        """

    static func help(program: String) -> String {
        """
        Usage: \(program) [OPTION]... [-T] SOURCE DEST
          or:  \(program) [OPTION]... SOURCE... DIRECTORY
          or:  \(program) [OPTION]... -t DIRECTORY SOURCE...
          or:  \(program) [OPTION]... --files-from=FILE SOURCE DEST
        Copy SOURCE to DEST, or each SOURCE into DIRECTORY, choosing for every file the
        cheapest kernel path that works: reflink, copy_file_range, sendfile, splice or
        read/write, falling back at the exact byte where one stops working.

        Mandatory arguments to long options are mandatory for short options too.
          -a, --archive                same as -dR --preserve=all
              --atomic                 write each file to a hidden temporary file beside
                                         the destination and rename it over the
                                         destination only when complete
              --attributes-only        copy attributes only, no file data
              --backup[=CONTROL]       back up each existing destination first
          -b                           like --backup, with no argument
              --checksum               with --link-dest or --reflink-dest, a file is
                                         unchanged when its size and XXH3-128 of
                                         content are equal (instead of size and mtime)
              --compare-strategies[=RUNS]  copy SOURCE into DIRECTORY's filesystem RUNS
                                         times (default 5) with each strategy, print
                                         a table of speeds, then remove the copies
              --copy-contents          read special files (FIFOs, devices) as data when
                                         copying recursively
          -d                           same as --no-dereference --preserve=links
              --debug                  after each -v line, say how the file was copied:
                                         offload, reflink, sparse detection, the strategy
                                         that moved the bytes and every fallback
              --exclude=PATTERN        leave out what below each SOURCE matches PATTERN,
                                         with rsync's rules: without '/' a name at any
                                         depth, a leading '/' anchors at SOURCE's top, a
                                         trailing '/' matches directories only; *, ?,
                                         [...] and ** as in rsync; repeatable; a SOURCE
                                         named on the command line is never left out
              --exclude-from=FILE      read exclude patterns from FILE, one a line ('-'
                                         for standard input; lines starting with '#' or
                                         ';' are comments)
              --files-from=FILE        copy the names FILE lists ('-' for standard
                                         input), each below the one SOURCE directory,
                                         to DEST/NAME, making the directories on the
                                         way; a listed directory is entered only with
                                         -r/-R (rsync's meaning; -a does not recurse)
          -f, --force                  if an existing destination cannot be opened,
                                         remove it and try again
          -i, --interactive            ask before overwriting (overrides an earlier -n);
                                         a declined overwrite makes the exit status 1
              --from0                  --files-from's names end in NUL, not newline
              --fsync                  flush each copied file to disk before going on
                                         (with --atomic, the directory too)
          -g, --progress               draw a progress line on stderr when it is a
                                         terminal: bytes, files, rate, time left
          -H                           follow symbolic links named on the command line
              --keep-directory-symlink  use a symlink to a directory at the destination
                                         as that directory
          -j, --jobs=N                 copy the files of a tree with N threads
                                         (default: one per online CPU, doubling up to
                                         eight per CPU while copying waits on storage;
                                         -j 1 copies strictly one file after another)
          -l, --link                   make hard links instead of copying
              --link-dest=DIR          a regular file unchanged since the snapshot DIR
                                         (same size, mtime and kept attributes) becomes
                                         a hard link to DIR's file instead of a copy;
                                         a relative DIR is relative to the destination
                                         directory; up to 20, tried in order
          -L, --dereference            always follow symbolic links in SOURCE
              --manifest=FILE          write a checksum line per regular file copied or
                                         linked to FILE ('-' for standard output), as
                                         xxhsum -H2 or sha256sum write them
              --manifest-hash=HASH     the manifest's digest: xxh128 (default), sha256
              --modify-window=SECONDS  with --link-dest, mtimes this far apart count
                                         as equal (default 0: to the nanosecond)
              --nocache                copy without filling the page cache: RWF_DONTCACHE
                                         reads and writes, or the copy written back and
                                         dropped in 8 MiB windows; pages of SOURCE that
                                         were cached before stay cached
          -n, --no-clobber             never overwrite an existing file (overrides an
                                         earlier -i)
              --partial                keep what a failed or stopped copy wrote (a
                                         prefix of SOURCE, resumable) instead of
                                         removing it
          -P, --no-dereference         never follow symbolic links in SOURCE
          -p                           same as --preserve=mode,ownership,timestamps
              --preserve[=ATTR_LIST]   keep these attributes (default:
                                         mode,ownership,timestamps); also: links,
                                         context, xattr, all
              --no-preserve=ATTR_LIST  do not keep these attributes
              --parents                copy SOURCE under DIRECTORY by its full name,
                                         making the directories on the way
          -R, -r, --recursive          copy directories and everything below them
              --reflink[=WHEN]         clone data blocks: auto (default: clone where
                                         the filesystem can), always (fail otherwise),
                                         never
              --reflink-dest=DIR       a regular file whose data is unchanged since the
                                         snapshot DIR (same size and mtime) is a clone of
                                         DIR's file, given SOURCE's attributes; where
                                         the filesystem cannot clone, it is copied
              --remove-destination     remove each existing destination before opening
                                         it (compare --force)
              --resume                 skip destinations that are complete (same size
                                         and mtime); continue those that hold a prefix
                                         of SOURCE (checked by XXH3) from where it ends
              --report=FILE            write one JSON object per copied object to FILE
                                         ('-' for standard output) as each one finishes;
                                         the format is in zcp-report(5)
              --sparse=WHEN            holes in SOURCE: auto and always keep them,
                                         never writes them out as zeros
              --stats                  at the end, print files, bytes, time, rate and
                                         how many files each strategy copied
              --strategy=WHICH         auto (default), or one of reflink,
                                         copy_file_range (cfr), sendfile, splice,
                                         read_write (rw), or a comma-separated chain of
                                         them tried in that order; a single forced
                                         strategy never falls back
              --strip-trailing-slashes  remove trailing slashes from each SOURCE
          -s, --symbolic-link          make symbolic links instead of copying
          -S, --suffix=SUFFIX          backup suffix instead of ~
          -t, --target-directory=DIRECTORY  copy every SOURCE into DIRECTORY
          -T, --no-target-directory    treat DEST as a normal file
          -u                           same as --update=older
              --update[=WHEN]          which existing destinations to replace: all,
                                         none (skip them), none-fail (skip and fail),
                                         older (default: only those older than SOURCE)
          -v, --verbose                say what is being copied
              --verify                 compare each copy, read back from storage, with
                                         its SOURCE by XXH3-128 digests; a mismatch is
                                         that file's error
          -x, --one-file-system        stay on the filesystem of each SOURCE
          -Z                           accepted; this kernel has no SELinux
              --context[=CTX]          accepted with a warning when CTX is given
              --help        display this help and exit
              --version     output version information and exit

        Symbolic links in SOURCE are followed unless copying recursively, where they are
        copied as links (-H, -L and -P change this; the last one given wins).

        CONTROL for --backup (or $VERSION_CONTROL): none/off, numbered/t,
        existing/nil (numbered if numbered backups exist, else simple; the default),
        simple/never. The suffix is ~ unless -S or $SIMPLE_BACKUP_SUFFIX says otherwise.

        Exit status: 0 when every SOURCE was copied, 1 when any failed.

        """
    }
}
