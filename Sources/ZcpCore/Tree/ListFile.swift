import Glibc

/// Files of names or patterns zcp reads whole before copying: --exclude-from and
/// --files-from ('-' is standard input).
enum ListFile {
    /// The file's bytes; ENAMETOOLONG once an entry (ended by `separator`) passes `maxEntry`
    /// bytes, so a file given by mistake cannot grow the list until memory runs out.
    static func read(_ file: Path, separator: UInt8, maxEntry: Int, sys: Syscalls) -> SysResult<[UInt8]> {
        let stdin = file.bytes == Array("-".utf8)
        var fd: Int32 = 0
        if !stdin {
            switch sys.open(At(file), O_RDONLY | O_CLOEXEC, 0) {
            case .failure(let e): return .failure(e)
            case .success(let f): fd = f
            }
        }
        defer { if !stdin { _ = sys.close(fd) } }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { sys.read(fd, $0.baseAddress!, $0.count) }
            switch n {
            case .failure(let e) where e == .EINTR: continue
            case .failure(let e): return .failure(e)
            case .success(0): return .success(out)
            case .success(let k):
                out += chunk[..<k]
                let entryStart = (out.lastIndex(of: separator) ?? -1) + 1
                if out.count - entryStart > maxEntry { return .failure(.ENAMETOOLONG) }
            }
        }
    }

    /// --files-from's names, rsync's way: with --from0 each ends in a NUL; otherwise each
    /// line is one (a CR before the newline is dropped), and blank lines and lines starting
    /// with '#' or ';' are skipped.
    static func names(_ bytes: [UInt8], from0: Bool) -> [[UInt8]] {
        if from0 { return bytes.split(separator: 0, omittingEmptySubsequences: true).map(Array.init) }
        var names: [[UInt8]] = []
        for var line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            guard let first = line.first, first != UInt8(ascii: "#"), first != UInt8(ascii: ";") else { continue }
            names.append(Array(line))
        }
        return names
    }

    /// A listed name below SOURCE, as rsync takes it: leading slashes and "." components go;
    /// nil for a name with ".." (it would reach outside SOURCE); empty for SOURCE itself.
    static func relativeName(_ raw: [UInt8]) -> Path? {
        var parts: [[UInt8]] = []
        for part in raw.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if part.elementsEqual([UInt8(ascii: ".")]) { continue }
            if part.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) { return nil }
            parts.append(Array(part))
        }
        return Path(bytes: Array(parts.joined(separator: [UInt8(ascii: "/")])))
    }
}
