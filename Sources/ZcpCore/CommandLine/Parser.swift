import CZcp
import Glibc

/// What parsing decided: run with these options, or exit now (help, version, usage error).
public enum ParseOutcome {
    case run(Options)
    case exit(Int32)
}

/// GNU cp's command-line syntax on Glibc's getopt_long: permutation, `--`, bundled short
/// options, unique-prefix abbreviations and optional arguments given with `=`.
public struct CommandLineParser {
    public let program: String
    let out: (String) -> Void
    let err: (String) -> Void

    public init(program: String, out: @escaping (String) -> Void, err: @escaping (String) -> Void) {
        self.program = program
        self.out = out
        self.err = err
    }

    enum Long: Int32 {
        case copyContents = 256, debug, stats, report, strategy, noPreserve, preserve, reflink
        case sparse, stripTrailingSlashes, help, version, attributesOnly, backup, context
        case keepDirectorySymlink, parents, removeDestination, update
        case atomic, fsync, compareStrategies, verify, partial, resume, exclude, excludeFrom, nocache
        case linkDest, reflinkDest, checksum, modifyWindow, manifest, manifestHash, filesFrom, from0
    }

    static var longOptions: [(name: String, arg: Int32, val: Int32)] { OptionTable.longOptions }

    /// Parses `argv` (argv[0] included). getopt_long may permute the array, as in C.
    public func parse(argc: Int32, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> ParseOutcome {
        var options = Options()
        var chosenStrategies: [StrategyID]? = nil
        var makeBackups = false
        var backupArgument: String? = nil
        var suffixGiven = false
        var snapshotKinds: Set<String> = []
        let table = OptionTable.getoptTable()
        let shortOptions = OptionTable.shortOptionBytes()
        zcp_getopt_reset()

        while true {
            let c = table.withUnsafeBufferPointer { t in
                shortOptions.withUnsafeBufferPointer { getopt_long(argc, argv, $0.baseAddress!, t.baseAddress, nil) }
            }
            if c == -1 { break }
            let arg = zcp_optarg().map { String(cString: $0) }
            switch c {
            case Int32(UInt8(ascii: "a")):
                options.recursive = true
                options.dereference = .never
                options.preserve.mode = true; options.preserve.ownership = true
                options.preserve.timestamps = true; options.preserve.links = true
                options.preserve.xattr = true
            case Int32(UInt8(ascii: "d")):
                options.dereference = .never
                options.preserve.links = true
            case Int32(UInt8(ascii: "b")):
                makeBackups = true
            case Long.backup.rawValue:
                makeBackups = true
                if let arg { backupArgument = arg }
            case Int32(UInt8(ascii: "S")):
                makeBackups = true
                // An empty suffix would name the file itself, and one with a "/" another
                // directory: GNU falls back to "~" for both.
                let suffix = zcp_optarg().map { Path(cString: $0).bytes } ?? []
                options.backupSuffix = Self.isSuffix(suffix) ? suffix : Array("~".utf8)
                suffixGiven = true
            case Int32(UInt8(ascii: "i")): options.interactive = .always
            case Int32(UInt8(ascii: "n")): options.interactive = .noClobber
            case Int32(UInt8(ascii: "l")): options.hardLink = true
            case Int32(UInt8(ascii: "s")): options.symbolicLink = true
            case Int32(UInt8(ascii: "u")): options.update = .older
            case Long.update.rawValue:
                switch ArgMatch.match(arg ?? "older", Self.updateWords) {
                case .success(let mode): options.update = mode
                case .failure(let f): return argumentError(f, arg ?? "", for: "--update", Self.updateWords)
                }
            case Int32(UInt8(ascii: "x")): options.oneFileSystem = true
            case Int32(UInt8(ascii: "Z")): break  // no SELinux: the default context is all there is
            case Long.context.rawValue:
                if arg != nil { err("\(program): warning: ignoring --context; it requires an SELinux-enabled kernel\n") }
            case Long.attributesOnly.rawValue: options.attributesOnly = true
            case Long.keepDirectorySymlink.rawValue: options.keepDirectorySymlink = true
            case Long.parents.rawValue: options.parents = true
            case Long.removeDestination.rawValue: options.removeDestination = true
            case Int32(UInt8(ascii: "f")): options.force = true
            case Int32(UInt8(ascii: "H")): options.dereference = .commandLineOnly
            case Int32(UInt8(ascii: "L")): options.dereference = .always
            case Int32(UInt8(ascii: "P")): options.dereference = .never
            case Int32(UInt8(ascii: "p")):
                options.preserve.mode = true; options.preserve.ownership = true; options.preserve.timestamps = true
            case Int32(UInt8(ascii: "r")), Int32(UInt8(ascii: "R")):
                options.recursive = true
                options.recursiveNamed = true
            case Int32(UInt8(ascii: "t")):
                if options.targetDirectory != nil {
                    return usage("multiple target directories specified")
                }
                options.targetDirectory = Path(cString: zcp_optarg())
            case Int32(UInt8(ascii: "T")): options.noTargetDirectory = true
            case Int32(UInt8(ascii: "v")): options.verbose = true
            case Long.copyContents.rawValue: options.copyContents = true
            case Long.debug.rawValue: options.debug = true; options.verbose = true
            case Long.stats.rawValue: options.stats = true
            case Long.atomic.rawValue: options.atomic = true
            case Long.fsync.rawValue: options.fsync = true
            case Long.verify.rawValue: options.verify = true
            case Long.partial.rawValue: options.partial = true
            case Long.resume.rawValue: options.resume = true
            case Long.nocache.rawValue: options.nocache = true
            case Long.exclude.rawValue: options.excludePatterns.append(zcp_optarg().map { Path(cString: $0).bytes } ?? [])
            case Long.excludeFrom.rawValue: options.excludeFiles.append(Path(cString: zcp_optarg()))
            case Long.linkDest.rawValue, Long.reflinkDest.rawValue:
                options.snapshotKind = c == Long.linkDest.rawValue ? .link : .reflink
                snapshotKinds.insert(options.snapshotKind.rawValue)
                let dir = zcp_optarg().map { Path(cString: $0) } ?? Path("")
                if dir.isEmpty { return usage("--\(options.snapshotKind)-dest: an empty directory name") }
                options.snapshotDirs.append(dir)
            case Long.checksum.rawValue: options.checksum = true
            case Long.filesFrom.rawValue: options.filesFrom = Path(cString: zcp_optarg())
            case Long.from0.rawValue: options.from0 = true
            case Long.modifyWindow.rawValue:
                guard let text = arg, text == "0" || Self.positiveNumber(text) != nil else {
                    return usage("invalid --modify-window: \(quoted(Path(arg ?? "")))")
                }
                options.modifyWindow = Int64(text)!
            case Long.manifest.rawValue: options.manifestPath = Path(cString: zcp_optarg())
            case Long.manifestHash.rawValue:
                switch ArgMatch.match(arg ?? "", Self.manifestHashWords) {
                case .success(let hash): options.manifestHash = hash
                case .failure(let f): return argumentError(f, arg ?? "", for: "--manifest-hash", Self.manifestHashWords)
                }
            case Int32(UInt8(ascii: "g")): options.progress = true
            case Int32(UInt8(ascii: "j")):
                guard let n = Self.positiveNumber(arg ?? ""), n <= 1024 else {
                    return usage("invalid number of jobs: \(quoted(Path(arg ?? "")))")
                }
                options.jobs = n
            case Long.compareStrategies.rawValue:
                guard let n = arg.map({ Self.positiveNumber($0) }) ?? 5, n <= 1000 else {
                    return usage("invalid number of runs: \(quoted(Path(arg ?? "")))")
                }
                options.compareRuns = n
            case Long.report.rawValue: options.reportPath = Path(cString: zcp_optarg())
            case Long.strategy.rawValue:
                guard let list = Self.parseStrategies(arg ?? "") else {
                    return invalid(
                        arg ?? "", for: "--strategy",
                        valid: ["auto"] + StrategyID.allCases.map(\.name) + ["a comma-separated list of them"])
                }
                if list.dropFirst().contains(where: { if case .wholeFile = $0.entry.kind { return true } else { return false } })
                {
                    // A clone moves a whole file or nothing: there is no byte to resume it at.
                    return usage("--strategy: reflink clones whole files, so it can only come first in a chain")
                }
                chosenStrategies = arg == "auto" ? nil : list
            case Long.preserve.rawValue:
                guard let attrs = Self.parseAttributes(arg ?? "mode,ownership,timestamps") else {
                    return invalid(arg ?? "", for: "--preserve", valid: Self.attributeNames)
                }
                for a in attrs { options.preserve[a] = true }
                // Named on its own, an attribute must be kept; "all" keeps what it can.
                if arg?.split(separator: ",").contains("xattr") == true { options.preserve.xattrRequired = true }
                if arg?.split(separator: ",").contains("context") == true { options.preserve.contextRequired = true }
            case Long.noPreserve.rawValue:
                guard let attrs = Self.parseAttributes(arg ?? "") else {
                    return invalid(arg ?? "", for: "--no-preserve", valid: Self.attributeNames)
                }
                for a in attrs { options.preserve[a] = false }
                if attrs.contains(.mode) { options.defaultModes = true }
            case Long.reflink.rawValue:
                switch ArgMatch.match(arg ?? "always", Self.reflinkWords) {
                case .success(let mode): options.reflink = mode
                case .failure(let f): return argumentError(f, arg ?? "", for: "--reflink", Self.reflinkWords)
                }
            case Long.sparse.rawValue:
                switch ArgMatch.match(arg ?? "", Self.sparseWords) {
                case .success(let mode): options.sparse = mode
                case .failure(let f): return argumentError(f, arg ?? "", for: "--sparse", Self.sparseWords)
                }
            case Long.stripTrailingSlashes.rawValue: options.stripTrailingSlashes = true
            case Long.help.rawValue:
                out(Usage.help(program: program))
                return .exit(0)
            case Long.version.rawValue:
                out(Usage.version)
                return .exit(0)
            default:
                // getopt_long already said what was wrong, in GNU's words.
                err("Try '\(program) --help' for more information.\n")
                return .exit(1)
            }
        }
        if makeBackups {
            // --backup=CONTROL, else $VERSION_CONTROL, else "existing".
            let envControl = getenv("VERSION_CONTROL").map { String(cString: $0) }
            let word = backupArgument ?? envControl ?? "existing"
            switch ArgMatch.match(word, Self.backupWords) {
            case .success(let control): options.backup = control
            case .failure(let f):
                return argumentError(f, word, for: backupArgument == nil ? "$VERSION_CONTROL" : "backup type", Self.backupWords)
            }
            if !suffixGiven, let env = getenv("SIMPLE_BACKUP_SUFFIX").map({ Path(cString: $0).bytes }), Self.isSuffix(env) {
                options.backupSuffix = env
            }
            if options.interactive == .noClobber || options.update == .none || options.update == .noneFail {
                // GNU 9.5's words (9.1 said "options --backup and --no-clobber are mutually exclusive").
                err("\(program): --backup is mutually exclusive with -n or --update=none-fail\n")
                err("Try '\(program) --help' for more information.\n")
                return .exit(1)
            }
        }
        if options.hardLink && options.symbolicLink {
            err("\(program): cannot make both hard and symbolic links\n")
            err("Try '\(program) --help' for more information.\n")
            return .exit(1)
        }
        if snapshotKinds.count > 1 {
            return usage("--link-dest and --reflink-dest cannot be combined")
        }
        if options.snapshotDirs.count > Self.maxSnapshotDirs {
            return usage("at most \(Self.maxSnapshotDirs) --\(options.snapshotKind)-dest directories may be given")
        }
        if !options.snapshotDirs.isEmpty && (options.hardLink || options.symbolicLink) {
            return usage(
                "--\(options.snapshotKind)-dest copies or links each file itself; it cannot be combined with \(options.hardLink ? "--link (-l)" : "--symbolic-link (-s)")"
            )
        }
        if !options.snapshotDirs.isEmpty && options.attributesOnly {
            return usage("--\(options.snapshotKind)-dest cannot be combined with --attributes-only")
        }
        if options.checksum && options.snapshotDirs.isEmpty {
            return usage("--checksum compares with a --link-dest or --reflink-dest directory; none was given")
        }
        if let chosen = chosenStrategies {
            options.strategies = chosen
            options.strategyForced = true
        }
        if options.preserve.contextRequired && options.preserve.context {
            // No SELinux on this kernel: GNU refuses before copying anything.
            err("\(program): cannot preserve security context without an SELinux-enabled kernel\n")
            return .exit(1)
        }
        if options.reflink == .always && options.sparse != .auto {
            err("\(program): --reflink can be used only with --sparse=auto\n")
            err("Try '\(program) --help' for more information.\n")
            return .exit(1)
        }

        var operands: [Path] = []
        var i = Int(zcp_optind())
        while i < Int(argc) {
            operands.append(Path(cString: argv[i]!))
            i += 1
        }
        return resolveOperands(operands, options)
    }

    /// Splits operands into sources and destination, as GNU cp does before looking at files.
    func resolveOperands(_ operands: [Path], _ options: Options) -> ParseOutcome {
        var options = options
        if options.targetDirectory != nil && options.noTargetDirectory {
            return usage("cannot combine --target-directory (-t) and --no-target-directory (-T)")
        }
        if operands.isEmpty { return usage("missing file operand") }
        if options.targetDirectory != nil {
            options.sources = operands
            return filesFromChecked(options)
        }
        if operands.count == 1 {
            return usage("missing destination file operand after \(quoted(operands[0]))")
        }
        if options.noTargetDirectory && operands.count > 2 {
            return usage("extra operand \(quoted(operands[2]))")
        }
        options.sources = Array(operands.dropLast())
        options.destination = operands.last
        return filesFromChecked(options)
    }

    /// --files-from takes one SOURCE directory and copies the listed names into DEST.
    func filesFromChecked(_ options: Options) -> ParseOutcome {
        var options = options
        guard options.filesFrom != nil else {
            if options.from0 { return usage("--from0 needs --files-from") }
            return .run(options)
        }
        if options.sources.count != 1 {
            return usage("--files-from takes one SOURCE directory, the names' top, and DEST")
        }
        if options.noTargetDirectory {
            return usage("--files-from copies into DEST as a directory; -T (--no-target-directory) does not apply")
        }
        if options.parents {
            return usage("--files-from already makes each name's directories under DEST; --parents does not apply")
        }
        if options.compareRuns != nil { return usage("--compare-strategies copies one file; --files-from does not apply") }
        // A listed directory is entered only with -r or -R given by name (rsync's rule).
        options.recursive = options.recursiveNamed
        return .run(options)
    }

    func usage(_ text: String) -> ParseOutcome {
        err("\(program): \(text)\nTry '\(program) --help' for more information.\n")
        return .exit(1)
    }

    func invalid(_ value: String, for option: String, valid: [String]) -> ParseOutcome {
        var text = "\(program): invalid argument \(localeQuoted(value)) for \(localeQuoted(option))\nValid arguments are:\n"
        for v in valid { text += "  - \(localeQuoted(v))\n" }
        err(text + "Try '\(program) --help' for more information.\n")
        return .exit(1)
    }

    /// rsync's limit on --link-dest directories.
    static let maxSnapshotDirs = 20
    static let manifestHashWords: [(String, Options.ManifestHash)] = [("xxh128", .xxh128), ("sha256", .sha256)]
    static let reflinkWords: [(String, Options.ReflinkMode)] = [("auto", .auto), ("always", .always), ("never", .never)]
    static let sparseWords: [(String, Options.SparseMode)] = [("never", .never), ("auto", .auto), ("always", .always)]
    static let updateWords: [(String, Options.UpdateMode)] = [
        ("all", .all), ("none", .none), ("none-fail", .noneFail), ("older", .older),
    ]
    /// Whether a backup suffix can be one: not empty, and its own last name component (no
    /// "/" before another character), so the backup stays beside its file (GNU's rule).
    static func isSuffix(_ b: [UInt8]) -> Bool {
        guard let first = b.first, first != UInt8(ascii: "/") else { return false }
        return !zip(b, b.dropFirst()).contains { $0 == UInt8(ascii: "/") && $1 != UInt8(ascii: "/") }
    }

    static let backupWords: [(String, Options.BackupControl)] = [
        ("none", .none), ("off", .none), ("simple", .simple), ("never", .simple),
        ("existing", .existing), ("nil", .existing), ("numbered", .numbered), ("t", .numbered),
    ]

    /// GNU's argmatch diagnostics: synonyms listed together on one line.
    func argumentError<T: Equatable>(
        _ failure: ArgMatch.Failure, _ value: String, for option: String,
        _ words: [(String, T)]
    ) -> ParseOutcome {
        let kind = failure == .ambiguous ? "ambiguous" : "invalid"
        var text = "\(program): \(kind) argument \(localeQuoted(value)) for \(localeQuoted(option))\nValid arguments are:\n"
        var i = 0
        while i < words.count {
            var line = "  - " + localeQuoted(words[i].0)
            var j = i + 1
            while j < words.count && words[j].1 == words[i].1 { line += ", " + localeQuoted(words[j].0); j += 1 }
            text += line + "\n"
            i = j
        }
        err(text + "Try '\(program) --help' for more information.\n")
        return .exit(1)
    }

    /// A decimal number from 1 up, nothing else (no sign, no spaces).
    static func positiveNumber(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 9, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            let n = Int(text), n > 0
        else { return nil }
        return n
    }

    static let attributeNames = Options.Attribute.allCases.map(\.rawValue) + ["all"]

    static func parseAttributes(_ text: String) -> [Options.Attribute]? {
        var result: [Options.Attribute] = []
        for word in text.split(separator: ",", omittingEmptySubsequences: false) {
            if word == "all" { result += Options.Attribute.allCases; continue }
            guard let a = Options.Attribute(rawValue: String(word)) else { return nil }
            result.append(a)
        }
        return result
    }

    /// `auto`, one strategy, or a comma-separated chain in the order given.
    static func parseStrategies(_ text: String) -> [StrategyID]? {
        if text == "auto" { return StrategyID.allCases }
        var chain: [StrategyID] = []
        for word in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let s = StrategyID(name: String(word)), !chain.contains(s) else { return nil }
            chain.append(s)
        }
        return chain.isEmpty ? nil : chain
    }
}

/// GNU's argmatch: an exact word, or a prefix that names only one value.
enum ArgMatch {
    enum Failure: Error { case invalid, ambiguous }

    static func match<T: Equatable>(_ arg: String, _ words: [(String, T)]) -> Result<T, Failure> {
        if let exact = words.first(where: { $0.0 == arg }) { return .success(exact.1) }
        let candidates = words.filter { !arg.isEmpty && $0.0.hasPrefix(arg) }
        guard let first = candidates.first else { return .failure(.invalid) }
        return candidates.allSatisfy({ $0.1 == first.1 }) ? .success(first.1) : .failure(.ambiguous)
    }
}
