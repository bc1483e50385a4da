import CCrypto
import CXxhash

/// A digest fed a file's bytes in order: XXH3-128 (`Hasher`) or SHA-256 (`Sha256`). `read`
/// feeds it from a descriptor, holes as zeros.
protocol ContentDigest: AnyObject {
    /// The offset of the next byte it expects.
    var position: Int64 { get }
    func update(_ p: UnsafeRawPointer, _ n: Int)
    /// The digest as its tool prints it (xxhsum -H2, sha256sum): lowercase hex.
    var hex: String { get }
}

/// An XXH3-128 digest, shown as xxhsum shows it (`xxhsum -H2`): 32 hex digits, high half first.
public struct Digest: Equatable, Sendable {
    public var high: UInt64
    public var low: UInt64

    public var hex: String { Self.hex16(high) + Self.hex16(low) }

    private static func hex16(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

/// libxxhash's streaming XXH3-128 state, reused file after file by one worker. `position` is
/// the offset of the next byte it expects: bytes are fed in file order, holes as zeros.
final class Hasher: ContentDigest {
    private let state: OpaquePointer
    private(set) var position: Int64 = 0
    /// Bytes reached the copy by another way than this hasher saw (a kernel path, a clone):
    /// what it holds is no digest of the file.
    private(set) var broken = false

    init() {
        guard let s = XXH3_createState() else { fatalError("XXH3_createState: out of memory") }
        state = s
        reset()
    }

    deinit { XXH3_freeState(state) }

    func reset() {
        XXH3_128bits_reset(state)
        position = 0
        broken = false
    }

    func update(_ p: UnsafeRawPointer, _ n: Int) {
        XXH3_128bits_update(state, p, n)
        position += Int64(n)
    }

    /// Bytes read at `offset` on their way to the copy: taken when they continue the digest.
    func saw(_ p: UnsafeRawPointer, _ n: Int, at offset: Int64) {
        guard !broken else { return }
        if offset == position { update(p, n) } else { broken = true }
    }

    /// The copy's next data starts at `offset`: what lies between was a hole.
    func hole(upTo offset: Int64) {
        guard !broken, offset > position else { return }
        zeros(offset - position)
    }

    func breakOff() { broken = true }

    var digest: Digest {
        let h = XXH3_128bits_digest(state)
        return Digest(high: h.high64, low: h.low64)
    }

    var hex: String { digest.hex }
}

/// OpenSSL's streaming SHA-256 (--manifest-hash=sha256), one per file.
final class Sha256: ContentDigest {
    private var context = SHA256_CTX()
    private(set) var position: Int64 = 0

    init() { SHA256_Init(&context) }

    func update(_ p: UnsafeRawPointer, _ n: Int) {
        SHA256_Update(&context, p, n)
        position += Int64(n)
    }

    /// Ends the digest: call once.
    var hex: String {
        var out = [UInt8](repeating: 0, count: 32)
        SHA256_Final(&out, &context)
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for b in out { text.append(digits[Int(b >> 4)]); text.append(digits[Int(b & 15)]) }
        return String(decoding: text, as: UTF8.self)
    }
}

private let zeroPage = [UInt8](repeating: 0, count: 64 * 1024)

extension ContentDigest {
    /// `n` zero bytes (a hole), from a zero page: never read from a file.
    func zeros(_ n: Int64) {
        var left = n
        while left > 0 {
            let k = Int(min(left, Int64(zeroPage.count)))
            zeroPage.withUnsafeBytes { update($0.baseAddress!, k) }
            left -= Int64(k)
        }
    }

    /// Feeds `[position, end)` of `fd` (file order; holes as zeros, found with SEEK_DATA and
    /// SEEK_HOLE and never read). `uncached`: read without leaving pages in the cache where
    /// the filesystem can (RWF_DONTCACHE). A file shorter than `end` ends the digest early
    /// (the caller compares positions).
    func read(
        _ fd: Int32, to end: Int64, sparse: Bool, uncached: Bool, sys: Syscalls,
        buffer: UnsafeMutableRawPointer, size: Int
    ) -> SysResult<Void> {
        var dontCache = uncached
        var seeks = sparse
        while position < end {
            var dataEnd = end
            if seeks {
                switch sys.seekData(fd, position) {
                case .success(let d):
                    if d > position { zeros(min(d, end) - position); continue }
                case .failure(.ENXIO): zeros(end - position); continue  // a hole to the end
                case .failure(let e) where e == .EINVAL || e == .EOPNOTSUPP: seeks = false; continue
                case .failure(let e): return .failure(e)
                }
                switch sys.seekHole(fd, position) {
                case .success(let h): dataEnd = min(max(h, position + 1), end)
                case .failure(let e): return .failure(e)
                }
            }
            while position < dataEnd {
                let want = Int(min(Int64(size), dataEnd - position))
                let at = position
                var got = retryingEINTR { dontCache ? sys.readUncached(fd, buffer, want, at) : sys.pread(fd, buffer, want, at) }
                if dontCache, case .failure(let e) = got, e == .EOPNOTSUPP || e == .EINVAL {
                    dontCache = false
                    got = retryingEINTR { sys.pread(fd, buffer, want, at) }
                }
                switch got {
                case .failure(let e): return .failure(e)
                case .success(0): return .success(())  // shorter than expected
                case .success(let n): update(buffer, n)
                }
            }
        }
        return .success(())
    }
}
