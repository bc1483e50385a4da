import Glibc

/// --exclude and --exclude-from, with rsync's meaning. Each pattern is matched against an
/// entry's path below the top of its command-line operand ("sub/file" for "src/sub/file"
/// copied from the operand "src"):
/// - without a '/' (a trailing one aside) and without "**", against the last name only, at
///   any depth;
/// - with a leading '/', against the whole path from the operand's top;
/// - with an inner '/' and no "**", against as many trailing names as it has parts;
/// - with "**" (not leading), from the top and from after every '/';
/// - a trailing '/' matches directories only; a trailing "/***" matches the directory and
///   everything in it.
/// `*` and `?` do not cross a '/', `**` does, `[...]` is a set (`!` or `^` negates, `a-z`,
/// `[:alpha:]`), `\` quotes the next character. Command-line operands are never excluded.
public struct ExcludeList: Sendable {
    struct Rule: Sendable {
        enum Scope: Sendable, Equatable {
            /// `slashFirst`: the path is matched as "/path" (a leading "**/" then matches
            /// at the top too).
            case name, whole(slashFirst: Bool), lastComponents(Int), afterEverySlash
        }
        let pattern: [UInt8]
        let directoryOnly: Bool
        let scope: Scope
    }

    private(set) var rules: [Rule] = []
    public var isEmpty: Bool { rules.isEmpty }
    public init() {}

    public enum PatternError: Error, Equatable {
        case empty, unterminatedBracket, trailingBackslash

        public var message: String {
            switch self {
            case .empty: return "it matches nothing"
            case .unterminatedBracket: return "'[' without a closing ']'"
            case .trailingBackslash: return "it ends in a lone '\\'"
            }
        }
    }

    /// Adds one pattern (unchanged when it is invalid).
    public mutating func add(_ pattern: [UInt8]) -> PatternError? {
        var p = pattern
        guard !p.isEmpty else { return .empty }
        var anchored = false
        if p.first == UInt8(ascii: "/") { anchored = true; p.removeFirst() }
        var directoryOnly = false
        var alsoBelow = false
        if p.count > 4 && p.suffix(4).elementsEqual("/***".utf8) {
            p.removeLast(4)
            directoryOnly = true
            alsoBelow = true
        } else if p.last == UInt8(ascii: "/") {
            while p.last == UInt8(ascii: "/") { p.removeLast() }
            directoryOnly = true
        }
        guard !p.isEmpty else { return .empty }
        if let e = Self.check(p) { return e }
        rules.append(Self.rule(p, anchored: anchored, directoryOnly: directoryOnly))
        if alsoBelow { rules.append(Self.rule(p + Array("/**".utf8), anchored: anchored, directoryOnly: false)) }
        return nil
    }

    private static func rule(_ p: [UInt8], anchored: Bool, directoryOnly: Bool) -> Rule {
        let slashes = p.filter { $0 == UInt8(ascii: "/") }.count
        let doubleStar = zip(p, p.dropFirst()).contains { $0 == UInt8(ascii: "*") && $1 == UInt8(ascii: "*") }
        let scope: Rule.Scope
        if anchored {
            scope = .whole(slashFirst: false)
        } else if slashes == 0 && !doubleStar {
            scope = .name
        } else if !doubleStar {
            scope = .lastComponents(slashes + 1)
        } else if p.starts(with: "**".utf8) {
            scope = .whole(slashFirst: true)
        } else {
            scope = .afterEverySlash
        }
        return Rule(pattern: p, directoryOnly: directoryOnly, scope: scope)
    }

    /// A pattern's syntax: every '[' closed, no lone trailing '\'.
    private static func check(_ p: [UInt8]) -> PatternError? {
        var i = 0
        while i < p.count {
            switch p[i] {
            case UInt8(ascii: "\\"):
                if i + 1 == p.count { return .trailingBackslash }
                i += 2
            case UInt8(ascii: "["):
                guard let end = bracketEnd(p, from: i) else { return .unterminatedBracket }
                i = end + 1
            default:
                i += 1
            }
        }
        return nil
    }

    /// The index of the ']' closing the set that opens at `start`.
    private static func bracketEnd(_ p: [UInt8], from start: Int) -> Int? {
        var i = start + 1
        if i < p.count && (p[i] == UInt8(ascii: "!") || p[i] == UInt8(ascii: "^")) { i += 1 }
        if i < p.count && p[i] == UInt8(ascii: "]") { i += 1 }  // a leading ']' is itself
        while i < p.count {
            switch p[i] {
            case UInt8(ascii: "]"): return i
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "["):
                if i + 1 < p.count && p[i + 1] == UInt8(ascii: ":"),
                    let close = (i + 2 < p.count ? Array(p[(i + 2)...]) : []).firstOffset(of: Array(":]".utf8))
                {
                    i += 2 + close + 2
                } else {
                    i += 1
                }
            default: i += 1
            }
        }
        return nil
    }

    public enum Verdict: Equatable { case excluded, included, needsType }

    /// Whether the entry at `relative` (below its operand's top) is excluded. `isDirectory`
    /// nil: not known yet; then `.needsType` when only a directory-only rule could decide.
    public func verdict(_ relative: [UInt8], isDirectory: Bool?) -> Verdict {
        var needsType = false
        for rule in rules {
            if rule.directoryOnly && isDirectory == false { continue }
            guard Self.matches(rule, relative) else { continue }
            if rule.directoryOnly && isDirectory == nil { needsType = true; continue }
            return .excluded
        }
        return needsType ? .needsType : .included
    }

    /// The path below the operand's top of `name` in the directory at `parent` ("" for the top).
    static func path(_ parent: [UInt8], _ name: Path) -> [UInt8] {
        parent.isEmpty ? name.bytes : parent + [UInt8(ascii: "/")] + name.bytes
    }

    /// Whether a directory entry at `relative` is left out. Its name and readdir's type decide
    /// without a system call; only when a directory-only pattern needs a type readdir did not
    /// give (DT_UNKNOWN, or a symlink `follow`ed) is `stat` asked (nil: not excluded, the copy
    /// will say what is wrong with it).
    func excludes(_ entry: DirectoryEntry, at relative: [UInt8], follow: Bool, stat: () -> FileStat?) -> Bool {
        let isDirectory: Bool?
        switch Int32(entry.type) {
        case Int32(DT_DIR): isDirectory = true
        case Int32(DT_UNKNOWN): isDirectory = nil
        case Int32(DT_LNK): isDirectory = follow ? nil : false
        default: isDirectory = false
        }
        switch verdict(relative, isDirectory: isDirectory) {
        case .excluded: return true
        case .included: return false
        case .needsType: return stat().map { verdict(relative, isDirectory: $0.isDirectory) == .excluded } ?? false
        }
    }

    static func matches(_ rule: Rule, _ path: [UInt8]) -> Bool {
        let slash = UInt8(ascii: "/")
        switch rule.scope {
        case .whole(let slashFirst):
            return Glob.matches(rule.pattern, slashFirst ? [slash] + path : path[...])
        case .name:
            let start = path.lastIndex(of: slash).map { $0 + 1 } ?? 0
            return Glob.matches(rule.pattern, path[start...])
        case .lastComponents(let n):
            var start = path.endIndex
            var seen = 0
            while start > 0 {
                if path[start - 1] == slash { seen += 1; if seen == n { break } }
                start -= 1
            }
            return Glob.matches(rule.pattern, path[start...])
        case .afterEverySlash:
            if Glob.matches(rule.pattern, path[...]) { return true }
            for (i, b) in path.enumerated() where b == slash {
                if Glob.matches(rule.pattern, path[(i + 1)...]) { return true }
            }
            return false
        }
    }
}

/// rsync-style wildcards over bytes: `*` and `?` stop at '/', `**` does not.
enum Glob {
    private enum Outcome { case match, noMatch, giveUp, giveUpToDoubleStar }

    static func matches(_ pattern: [UInt8], _ text: ArraySlice<UInt8>) -> Bool {
        let t = Array(text)
        return match(pattern, 0, t, 0) == .match
    }

    private static func match(_ p: [UInt8], _ start: Int, _ t: [UInt8], _ from: Int) -> Outcome {
        let slash = UInt8(ascii: "/"), star = UInt8(ascii: "*")
        var pi = start, ti = from
        while pi < p.count {
            let c = p[pi]
            if ti >= t.count && c != star { return .giveUp }
            switch c {
            case UInt8(ascii: "\\"):
                pi += 1
                if t[ti] != p[pi] { return .noMatch }
            case UInt8(ascii: "?"):
                if t[ti] == slash { return .noMatch }
            case star:
                pi += 1
                var double = false
                while pi < p.count && p[pi] == star { double = true; pi += 1 }
                if pi == p.count {
                    // At the end: "**" takes the rest; "*" only what has no '/'.
                    return double || !t[ti...].contains(slash) ? .match : .noMatch
                }
                while true {
                    if ti >= t.count { return .giveUp }
                    let rest = match(p, pi, t, ti)
                    if rest != .noMatch {
                        if !double || rest != .giveUpToDoubleStar { return rest }
                    } else if !double && t[ti] == slash {
                        return .giveUpToDoubleStar
                    }
                    ti += 1
                }
            case UInt8(ascii: "["):
                guard let (matched, end) = bracket(p, pi, t[ti]), matched, t[ti] != slash else { return .noMatch }
                pi = end
            default:
                if t[ti] != c { return .noMatch }
            }
            pi += 1
            ti += 1
        }
        return ti == t.count ? .match : .noMatch
    }

    /// Whether `ch` is in the set opening at `start`, and the index of its closing ']'.
    private static func bracket(_ p: [UInt8], _ start: Int, _ ch: UInt8) -> (Bool, Int)? {
        var i = start + 1
        var negate = false
        if p[i] == UInt8(ascii: "!") || p[i] == UInt8(ascii: "^") { negate = true; i += 1 }
        var found = false
        var first = true
        var previous: UInt8? = nil
        while i < p.count {
            var c = p[i]
            if c == UInt8(ascii: "]") && !first { return (found != negate, i) }
            first = false
            if c == UInt8(ascii: "\\") {
                i += 1
                c = p[i]
                if ch == c { found = true }
                previous = c
            } else if c == UInt8(ascii: "-"), let low = previous, i + 1 < p.count, p[i + 1] != UInt8(ascii: "]") {
                i += 1
                var high = p[i]
                if high == UInt8(ascii: "\\") { i += 1; high = p[i] }
                if ch >= low && ch <= high { found = true }
                previous = nil
            } else if c == UInt8(ascii: "["), i + 1 < p.count, p[i + 1] == UInt8(ascii: ":"),
                let close = Array(p[(i + 2)...]).firstOffset(of: Array(":]".utf8))
            {
                let name = String(decoding: p[(i + 2)..<(i + 2 + close)], as: UTF8.self)
                if inClass(name, ch) { found = true }
                i += 2 + close + 2 - 1
                previous = nil
            } else {
                if ch == c { found = true }
                previous = c
            }
            i += 1
        }
        return nil
    }

    private static func inClass(_ name: String, _ ch: UInt8) -> Bool {
        let c = Int32(ch)
        switch name {
        case "alnum": return isalnum(c) != 0
        case "alpha": return isalpha(c) != 0
        case "blank": return ch == 32 || ch == 9
        case "cntrl": return iscntrl(c) != 0
        case "digit": return isdigit(c) != 0
        case "graph": return isgraph(c) != 0
        case "lower": return islower(c) != 0
        case "print": return isprint(c) != 0
        case "punct": return ispunct(c) != 0
        case "space": return isspace(c) != 0
        case "upper": return isupper(c) != 0
        case "xdigit": return isxdigit(c) != 0
        default: return false
        }
    }
}

extension ExcludeList {
    struct LoadError: Error { let message: String }

    /// The --exclude patterns, then the lines of each --exclude-from file ('-': standard
    /// input): blank lines and lines starting with '#' or ';' are left out, a CR before the
    /// newline is dropped. Fails with the message for the first unreadable file or invalid
    /// pattern, before anything is copied.
    static func load(patterns: [[UInt8]], files: [Path], sys: Syscalls) -> Result<ExcludeList, LoadError> {
        var list = ExcludeList()
        for p in patterns {
            if let e = list.add(p) {
                return .failure(LoadError(message: "invalid exclude pattern \(quoted(Path(bytes: p))): \(e.message)"))
            }
        }
        for file in files {
            let bytes: [UInt8]
            switch ListFile.read(file, separator: UInt8(ascii: "\n"), maxEntry: maxLine, sys: sys) {
            case .failure(.ENAMETOOLONG):
                return .failure(
                    LoadError(
                        message: "cannot read exclude patterns from \(quoted(file)): a line is longer than \(maxLine) bytes"))
            case .failure(let e):
                return .failure(LoadError(message: "cannot read exclude patterns from \(quoted(file)): \(e.message)"))
            case .success(let b): bytes = b
            }
            for var line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                guard let first = line.first, first != UInt8(ascii: "#"), first != UInt8(ascii: ";") else { continue }
                if let e = list.add(Array(line)) {
                    return .failure(
                        LoadError(
                            message:
                                "invalid exclude pattern \(quoted(Path(bytes: Array(line)))) in \(quoted(file)): \(e.message)"))
                }
            }
        }
        return .success(list)
    }

    /// A pattern is a path: a line longer than PATH_MAX is no pattern (a FIFO or /dev/zero
    /// given by mistake must not grow the list until memory runs out).
    static let maxLine = 4096
}
