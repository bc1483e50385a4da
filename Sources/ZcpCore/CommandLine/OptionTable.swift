import CZcp
import Glibc

/// One option of the command line: its names, whether it takes a value, what a shell offers
/// for that value, and a one-line summary. The parser's getopt tables and the bash, zsh and
/// fish completions are all made from `OptionTable.all`.
public struct OptionSpec: Sendable {
    public enum Argument: Sendable { case none, required, optional }

    /// What a shell completes the value with.
    public enum Values: Sendable, Equatable {
        /// Free text (a suffix, a pattern).
        case text
        /// One of these words.
        case words([String])
        /// A comma-separated list of these words, each at most once.
        case list([String])
        case file
        case directory
        /// A number; these are offered.
        case number([String])
    }

    /// Which `Values` an option has, without building any list: every run makes the table,
    /// only the completion generator asks for the words.
    enum ValueKind: Sendable {
        case text, file, directory, backup, reflink, sparse, update, attributes, strategies, jobs, runs, manifestHash, seconds
    }

    /// The long name ("" when there is none), kept as the literal in the binary: getopt's
    /// table points at it, with no copy or allocation at start-up.
    let longName: StaticString
    /// The short option's character (0 when there is none).
    let shortCode: UInt8
    public let argument: Argument
    let valueKind: ValueKind
    private let summaryText: StaticString
    /// What getopt_long returns for it.
    let code: Int32

    public var values: Values {
        switch valueKind {
        case .text: return .text
        case .file: return .file
        case .directory: return .directory
        case .backup: return .words(CommandLineParser.backupWords.map { $0.0 })
        case .reflink: return .words(CommandLineParser.reflinkWords.map { $0.0 })
        case .sparse: return .words(CommandLineParser.sparseWords.map { $0.0 })
        case .update: return .words(CommandLineParser.updateWords.map { $0.0 })
        case .attributes: return .list(CommandLineParser.attributeNames)
        case .strategies: return .list(["auto"] + StrategyID.allCases.map { $0.name })
        case .jobs: return .number(["1", "2", "4", "8", "16", "32"])
        case .runs: return .number(["1", "3", "5", "10"])
        case .manifestHash: return .words(CommandLineParser.manifestHashWords.map { $0.0 })
        case .seconds: return .number(["0", "1", "2"])
        }
    }
    /// An option without a value.
    init(_ long: StaticString, _ short: Unicode.Scalar? = nil, code: CommandLineParser.Long? = nil, _ summary: StaticString) {
        self.init(long, short, .none, .text, code: code, summary)
    }

    init(
        _ long: StaticString, _ short: Unicode.Scalar?, _ argument: Argument, _ values: ValueKind,
        code: CommandLineParser.Long? = nil, _ summary: StaticString
    ) {
        longName = long
        shortCode = short.map { UInt8($0.value) } ?? 0
        self.argument = argument
        self.valueKind = values
        summaryText = summary
        self.code = code?.rawValue ?? Int32(shortCode)
    }

    public var long: String? { longName.utf8CodeUnitCount == 0 ? nil : longName.description }
    public var short: Character? { shortCode == 0 ? nil : Character(Unicode.Scalar(shortCode)) }
    public var summary: String { summaryText.description }
    /// Each use adds to the others (the parser appends), rather than the last one winning.
    public var repeatable: Bool {
        code == CommandLineParser.Long.exclude.rawValue || code == CommandLineParser.Long.excludeFrom.rawValue
            || code == CommandLineParser.Long.linkDest.rawValue || code == CommandLineParser.Long.reflinkDest.rawValue
    }

    var getoptArgument: Int32 {
        switch argument {
        case .none: return no_argument
        case .required: return required_argument
        case .optional: return optional_argument
        }
    }
}

public enum OptionTable {
    typealias Long = CommandLineParser.Long

    /// Every option zcp takes, in `--help`'s order.
    public static let all: [OptionSpec] = [
        OptionSpec("archive", "a", "same as -dR --preserve=all"),
        OptionSpec(
            "atomic", code: .atomic, "write each file to a temporary beside it, renamed over the destination when complete"),
        OptionSpec("attributes-only", code: .attributesOnly, "copy attributes only, no file data"),
        OptionSpec(
            "backup", nil, .optional, .backup, code: .backup,
            "back up each existing destination first"),
        OptionSpec("", "b", "like --backup, with no argument"),
        OptionSpec(
            "compare-strategies", nil, .optional, .runs, code: .compareStrategies,
            "time each strategy copying SOURCE into DIRECTORY and print a table"),
        OptionSpec(
            "checksum", code: .checksum,
            "with --link-dest/--reflink-dest, equal content (XXH3-128) instead of equal mtime decides"),
        OptionSpec("copy-contents", code: .copyContents, "read special files as data when copying recursively"),
        OptionSpec("", "d", "same as --no-dereference --preserve=links"),
        OptionSpec("debug", code: .debug, "say how each file was copied: strategy, fallbacks, sparse detection"),
        OptionSpec(
            "exclude", nil, .required, .text, code: .exclude,
            "skip files matching PATTERN (rsync's rules; repeatable)"),
        OptionSpec(
            "exclude-from", nil, .required, .file, code: .excludeFrom,
            "read exclude patterns from FILE, one a line ('-' for standard input)"),
        OptionSpec(
            "files-from", nil, .required, .file, code: .filesFrom,
            "copy the names FILE lists, below the one SOURCE directory, into DEST"),
        OptionSpec("force", "f", "remove an existing destination that cannot be opened, and try again"),
        OptionSpec("interactive", "i", "ask before overwriting"),
        OptionSpec("from0", code: .from0, "--files-from's names end in NUL, not newline"),
        OptionSpec("fsync", code: .fsync, "flush each copied file to disk before going on"),
        OptionSpec("progress", "g", "draw a progress line on stderr when it is a terminal"),
        OptionSpec("", "H", "follow symbolic links named on the command line"),
        OptionSpec(
            "keep-directory-symlink", code: .keepDirectorySymlink,
            "use a symlink to a directory at the destination as that directory"),
        OptionSpec(
            "jobs", "j", .required, .jobs,
            "copy the files of a tree with N threads"),
        OptionSpec("link", "l", "make hard links instead of copying"),
        OptionSpec(
            "link-dest", nil, .required, .directory, code: .linkDest,
            "hard-link files unchanged since the snapshot DIR instead of copying them (repeatable)"),
        OptionSpec("dereference", "L", "always follow symbolic links in SOURCE"),
        OptionSpec("no-clobber", "n", "never overwrite an existing file"),
        OptionSpec(
            "manifest", nil, .required, .file, code: .manifest,
            "write a checksum line per regular file copied to FILE, as xxhsum or sha256sum do"),
        OptionSpec(
            "manifest-hash", nil, .required, .manifestHash, code: .manifestHash,
            "the manifest's digest: xxh128 (default) or sha256"),
        OptionSpec(
            "modify-window", nil, .required, .seconds, code: .modifyWindow,
            "mtimes this many seconds apart count as equal for --link-dest"),
        OptionSpec("nocache", code: .nocache, "copy without filling the page cache"),
        OptionSpec("partial", code: .partial, "keep what a failed or stopped copy wrote"),
        OptionSpec("no-dereference", "P", "never follow symbolic links in SOURCE"),
        OptionSpec("", "p", "same as --preserve=mode,ownership,timestamps"),
        OptionSpec(
            "preserve", nil, .optional, .attributes, code: .preserve,
            "keep these attributes"),
        OptionSpec(
            "no-preserve", nil, .required, .attributes, code: .noPreserve,
            "do not keep these attributes"),
        OptionSpec("parents", code: .parents, "copy SOURCE under DIRECTORY by its full name"),
        OptionSpec("recursive", "R", "copy directories and everything below them"),
        OptionSpec("", "r", "copy directories and everything below them"),
        OptionSpec(
            "reflink", nil, .optional, .reflink, code: .reflink,
            "clone data blocks"),
        OptionSpec(
            "reflink-dest", nil, .required, .directory, code: .reflinkDest,
            "clone the data of files unchanged since the snapshot DIR instead of copying it (repeatable)"),
        OptionSpec("remove-destination", code: .removeDestination, "remove each existing destination before opening it"),
        OptionSpec("resume", code: .resume, "skip complete destinations, continue those holding a prefix of SOURCE"),
        OptionSpec("report", nil, .required, .file, code: .report, "write one JSON object per copied object to FILE"),
        OptionSpec(
            "sparse", nil, .required, .sparse, code: .sparse,
            "how holes in SOURCE are written"),
        OptionSpec("stats", code: .stats, "print files, bytes, time, rate and strategies at the end"),
        OptionSpec(
            "strategy", nil, .required, .strategies, code: .strategy,
            "how bytes move: auto, or a chain of strategies tried in order"),
        OptionSpec("strip-trailing-slashes", code: .stripTrailingSlashes, "remove trailing slashes from each SOURCE"),
        OptionSpec("symbolic-link", "s", "make symbolic links instead of copying"),
        OptionSpec("suffix", "S", .required, .text, "backup suffix instead of ~"),
        OptionSpec("target-directory", "t", .required, .directory, "copy every SOURCE into DIRECTORY"),
        OptionSpec("no-target-directory", "T", "treat DEST as a normal file"),
        OptionSpec("", "u", "same as --update=older"),
        OptionSpec(
            "update", nil, .optional, .update, code: .update,
            "which existing destinations to replace"),
        OptionSpec("verbose", "v", "say what is being copied"),
        OptionSpec("verify", code: .verify, "compare each copy, read back from storage, with SOURCE by XXH3-128"),
        OptionSpec("one-file-system", "x", "stay on the filesystem of each SOURCE"),
        OptionSpec("", "Z", "accepted; this kernel has no SELinux"),
        OptionSpec("context", nil, .optional, .text, code: .context, "accepted with a warning"),
        OptionSpec("help", code: .help, "display help and exit"),
        OptionSpec("version", code: .version, "output version information and exit"),
    ]

    /// getopt_long's short option string, NUL-terminated.
    static func shortOptionBytes() -> [CChar] {
        var text: [CChar] = []
        text.reserveCapacity(2 * all.count)
        for o in all where o.shortCode != 0 {
            text.append(CChar(o.shortCode))
            if o.argument == .required { text.append(CChar(UInt8(ascii: ":"))) }
        }
        text.append(0)
        return text
    }

    /// getopt_long's table, ended by a zero entry; the names point at the literals.
    static func getoptTable() -> [option] {
        var table: [option] = []
        table.reserveCapacity(all.count + 1)
        for o in all where o.longName.utf8CodeUnitCount > 0 {
            let name = UnsafeRawPointer(o.longName.utf8Start).assumingMemoryBound(to: CChar.self)
            table.append(option(name: name, has_arg: o.getoptArgument, flag: nil, val: o.code))
        }
        table.append(option(name: nil, has_arg: 0, flag: nil, val: 0))
        return table
    }

    /// The long options as name, getopt argument kind and code (what the tests go through).
    static var longOptions: [(name: String, arg: Int32, val: Int32)] {
        all.compactMap { o in o.long.map { ($0, o.getoptArgument, o.code) } }
    }
}
