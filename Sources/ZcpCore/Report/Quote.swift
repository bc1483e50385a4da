import Glibc

/// Quotes a file name the way GNU cp's messages do (shell-escape-always): 'name', "it's",
/// 'it'\''s $x', and 'a'$'\n''b' for control characters and bytes that are not UTF-8.
public func quoted(_ path: Path) -> String { quoted(bytes: path.bytes) }

/// Quotes a file name only where a shell would need it (GNU's `quotef`): `dir/name` as it
/// is, `'x y'` quoted.
public func quotedIfNeeded(_ path: Path) -> String {
    let plain = !path.bytes.isEmpty && path.bytes.allSatisfy { b in
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)
            || "/._-+,:@%^=".utf8.contains(b) || b >= 0x80
    }
    return plain && String(validating: path.bytes, as: UTF8.self) != nil ? path.description : quoted(path)
}

public func quoted(bytes: [UInt8]) -> String {
    let text = String(validating: bytes, as: UTF8.self)
    let hasControl = bytes.contains { $0 < 0x20 || $0 == 0x7f }
    if let text, !hasControl {
        if !text.contains("'") { return "'" + text + "'" }
        if !text.contains(where: { "\"$`\\!".contains($0) }) { return "\"" + text + "\"" }
        return "'" + text.replacingAll("'", with: "'\\''") + "'"
    }
    // Escape what cannot be shown: close the quote, $'\ooo', reopen.
    var out = "'"
    var i = 0
    while i < bytes.count {
        let b = bytes[i]
        let length = utf8SequenceLength(bytes, at: i)
        if length > 1 || (b >= 0x20 && b < 0x7f) {
            let piece = String(decoding: bytes[i..<(i + length)], as: UTF8.self)
            out += piece == "'" ? "'\\''" : piece
            i += length
            continue
        }
        out += "'$'" + escape(b) + "''"
        i += 1
    }
    out += "'"
    while out.hasSuffix("''") && out.count > 2 { out.removeLast(2) }
    return out
}

private func escape(_ b: UInt8) -> String {
    switch b {
    case 0x07: return "\\a"
    case 0x08: return "\\b"
    case 0x0c: return "\\f"
    case 0x0a: return "\\n"
    case 0x0d: return "\\r"
    case 0x09: return "\\t"
    case 0x0b: return "\\v"
    default:
        let digits = String(b, radix: 8)
        return "\\" + String(repeating: "0", count: 3 - digits.count) + digits
    }
}

/// Length of a valid multi-byte UTF-8 sequence at `i`, or 1.
private func utf8SequenceLength(_ bytes: [UInt8], at i: Int) -> Int {
    let b = bytes[i]
    let n: Int
    if b & 0xe0 == 0xc0 { n = 2 } else if b & 0xf0 == 0xe0 { n = 3 } else if b & 0xf8 == 0xf0 { n = 4 } else { return 1 }
    guard i + n <= bytes.count, String(validating: bytes[i..<(i + n)], as: UTF8.self) != nil else { return 1 }
    return n
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        out.reserveCapacity(count)
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}

/// Quotes a word the way GNU quotes option values: with ‘ ’ in a UTF-8 locale, ' ' otherwise.
public func localeQuoted(_ word: String) -> String {
    utf8Locale ? "\u{2018}" + word + "\u{2019}" : "'" + word + "'"
}

/// Whether LC_ALL, LC_CTYPE or LANG (the first one set) names a UTF-8 locale.
let utf8Locale: Bool = {
    for name in ["LC_ALL", "LC_CTYPE", "LANG"] {
        guard let value = getenv(name).map({ String(cString: $0) }), !value.isEmpty else { continue }
        let lower = value.lowercased()
        return lower.contains("utf-8") || lower.contains("utf8")
    }
    return false
}()
