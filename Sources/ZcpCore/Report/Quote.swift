import CZcp
import Glibc

/// Quotes a file name the way GNU cp's messages do (gnulib's shell-escape-always style, quoteaf):
/// 'name', "it's", 'it'\''s $x', and 'a'$'\n''b' for what cannot be shown as it is: control
/// characters, bytes that are not a character of the locale's encoding, and characters the
/// locale does not call printable (mbrtowc and iswprint after setlocale from the environment,
/// as GNU decides; in the C locale every byte above 127). Works on the name's bytes.
public func quoted(_ path: Path) -> String { quoted(bytes: path.bytes) }

public func quoted(bytes: [UInt8]) -> String {
    let units = QuoteUnit.split(bytes)
    let first = shellQuote(units, pendingEscape: false)
    guard first.sawSingleQuote else { return first.text }
    // A name with a single quote: in double quotes when nothing in it means anything there
    // (GNU's C style), else quoted again, as gnulib's second pass does, starting in the
    // $'...' state the first pass ended in (which is where its odd leading '' comes from).
    if units.allSatisfy(\.cAndShellCompatible) {
        return "\"" + String(decoding: bytes, as: UTF8.self) + "\""
    }
    return shellQuote(units, pendingEscape: first.pendingEscape).text
}

/// Quotes a file name only where a shell would need it (GNU's `quotef`): `dir/name` as it
/// is, `'x y'` quoted, and anything with a character that must be escaped as `quoted` does.
public func quotedIfNeeded(_ path: Path) -> String {
    let units = QuoteUnit.split(path.bytes)
    let plain =
        !units.isEmpty
        && units.allSatisfy { unit in
            switch unit {
            case .escaped: return false
            case .shown(let bytes):
                return bytes.count > 1
                    || bytes.allSatisfy { b in
                        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)
                            || "/._-+,:@%^=".utf8.contains(b)
                    }
            }
        }
    return plain ? String(decoding: path.bytes, as: UTF8.self) : quoted(path)
}

/// A piece of a name: a character shown as it is, or bytes that must be escaped ($'\ooo').
enum QuoteUnit {
    case shown([UInt8])
    case escaped([UInt8])

    /// Splits a name by the locale's rules.
    static func split(_ bytes: [UInt8]) -> [QuoteUnit] {
        var units: [QuoteUnit] = []
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 {
                units.append(b >= 0x20 && b < 0x7f ? .shown([b]) : .escaped([b]))
                i += 1
                continue
            }
            switch QuoteLocale.character(bytes, at: i) {
            case .printable(let n): units.append(.shown(Array(bytes[i..<(i + n)]))); i += n
            case .unprintable(let n): units.append(.escaped(Array(bytes[i..<(i + n)]))); i += n
            case .invalid: units.append(.escaped([b])); i += 1
            case .incomplete: units.append(.escaped(Array(bytes[i...]))); i = bytes.count
            }
        }
        return units
    }

    /// Whether a double-quoted C string shows it as a shell's single quotes would (gnulib's
    /// c_and_shell_quote_compat): printable, and none of !"#$&()*;<=>?[\^`|~.
    var cAndShellCompatible: Bool {
        switch self {
        case .escaped: return false
        case .shown(let bytes): return bytes.count > 1 || !"!\"#$&()*;<=>?[\\^`|~".utf8.contains(bytes[0])
        }
    }
}

/// One pass of gnulib's shell-always quoting with backslash escapes: the text, whether a
/// single quote was met, and whether it ended inside a $'...' escape.
private func shellQuote(_ units: [QuoteUnit], pendingEscape start: Bool) -> (
    text: String, sawSingleQuote: Bool, pendingEscape: Bool
) {
    var out: [UInt8] = [UInt8(ascii: "'")]
    var pending = start
    var sawQuote = false
    for unit in units {
        switch unit {
        case .escaped(let bytes):
            for b in bytes {
                if !pending { out += Array("'$'".utf8); pending = true }
                out += escape(b)
            }
        case .shown(let bytes):
            if bytes == [UInt8(ascii: "'")] {
                sawQuote = true
                out += Array("'\\'".utf8)
                pending = false
            }
            if pending { out += Array("''".utf8); pending = false }
            out += bytes
        }
    }
    out.append(UInt8(ascii: "'"))
    return (String(decoding: out, as: UTF8.self), sawQuote, pending)
}

private func escape(_ b: UInt8) -> [UInt8] {
    let letter: UInt8?
    switch b {
    case 0x07: letter = UInt8(ascii: "a")
    case 0x08: letter = UInt8(ascii: "b")
    case 0x0c: letter = UInt8(ascii: "f")
    case 0x0a: letter = UInt8(ascii: "n")
    case 0x0d: letter = UInt8(ascii: "r")
    case 0x09: letter = UInt8(ascii: "t")
    case 0x0b: letter = UInt8(ascii: "v")
    default: letter = nil
    }
    if let letter { return [UInt8(ascii: "\\"), letter] }
    return [UInt8(ascii: "\\"), 0x30 + (b >> 6), 0x30 + ((b >> 3) & 7), 0x30 + (b & 7)]
}

/// The C library's view of characters, in the locale the environment names (LC_ALL,
/// LC_CTYPE, LANG): set on first need, so a run that never quotes a non-ASCII name never
/// loads a locale.
enum QuoteLocale {
    enum Character { case printable(Int), unprintable(Int), invalid, incomplete }

    private static let multibyte: Bool = zcp_locale_multibyte() != 0

    /// The character at `i` (a byte above 127).
    static func character(_ bytes: [UInt8], at i: Int) -> Character {
        guard multibyte else { return .unprintable(1) }  // a single-byte locale: isprint says no
        var printable: Int32 = 0
        let n = bytes[i...].withUnsafeBufferPointer { zcp_character($0.baseAddress!, $0.count, &printable) }
        switch n {
        case -1: return .invalid
        case -2: return .incomplete
        default: return printable != 0 ? .printable(n) : .unprintable(n)
        }
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        out.reserveCapacity(count)
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}

/// Quotes a word the way GNU quotes option values, and the way gnulib's `quote` names files
/// (its locale style: "preserving permissions for"): with ‘ ’ in a UTF-8 locale, ' '
/// otherwise; what must be escaped is a C escape (\n, \033, \377), and a backslash or the
/// closing quote in the word gets a backslash before it.
public func localeQuoted(_ word: String) -> String { localeQuoted(bytes: Array(word.utf8)) }

public func localeQuoted(_ path: Path) -> String { localeQuoted(bytes: path.bytes) }

public func localeQuoted(bytes: [UInt8]) -> String {
    var out: [UInt8] = Array((utf8Locale ? "\u{2018}" : "'").utf8)
    for unit in QuoteUnit.split(bytes) {
        switch unit {
        case .escaped(let bytes): for b in bytes { out += escape(b) }
        case .shown(let bytes):
            if bytes == [UInt8(ascii: "\\")] || bytes == (utf8Locale ? [0xE2, 0x80, 0x99] : [UInt8(ascii: "'")]) {
                out.append(UInt8(ascii: "\\"))
            }
            out += bytes
        }
    }
    out += Array((utf8Locale ? "\u{2019}" : "'").utf8)
    return String(decoding: out, as: UTF8.self)
}

/// Whether LC_ALL, LC_CTYPE or LANG (the first one set) names a UTF-8 locale.
let utf8Locale: Bool = {
    for name in ["LC_ALL", "LC_CTYPE", "LANG"] {
        guard let value = getenv(name).map({ String(cString: $0) }), !value.isEmpty else { continue }
        let lower = Array(value.lowercased().utf8)
        return lower.firstOffset(of: Array("utf-8".utf8)) != nil || lower.firstOffset(of: Array("utf8".utf8)) != nil
    }
    return false
}()
