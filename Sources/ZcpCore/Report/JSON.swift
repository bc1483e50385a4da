/// JSON text for the report, without Foundation.
enum JSON {
    static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// `"key":"name"` for a file name; a name that is not valid UTF-8 (shown with U+FFFD in
    /// its place) also gets `"key_hex"`, its exact bytes in hexadecimal, so every name can be
    /// turned back into the file's (zcp-report(5)).
    static func name(_ key: String, _ path: Path) -> String {
        if let text = String(validating: path.bytes, as: UTF8.self) { return "\"\(key)\":" + string(text) }
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(path.bytes.count * 2)
        for b in path.bytes { hex.append(digits[Int(b >> 4)]); hex.append(digits[Int(b & 15)]) }
        return "\"\(key)\":" + string(path.description) + ",\"\(key)_hex\":\"" + String(decoding: hex, as: UTF8.self) + "\""
    }

    /// One report line for a record.
    static func line(for r: FileRecord) -> String {
        var s = "{" + name("source", r.source)
        s += "," + name("dest", r.dest)
        s += ",\"type\":" + string(r.kind.rawValue)
        s += ",\"status\":" + string(r.status.rawValue)
        s += ",\"size\":\(r.size),\"bytes\":\(r.bytes)"
        s += ",\"strategy\":" + string(r.strategy?.name ?? "none")
        s += ",\"bytes_by_strategy\":{"
        s += StrategyID.allCases.map { "\"\($0.name)\":\(r.bytesByStrategy[$0.rawValue])" }.joined(separator: ",")
        s += "},\"fallbacks\":["
        s += r.fallbacks.map { f in
            "{\"strategy\":" + string(f.strategy.name) + ",\"errno\":" + (f.errno.map { string($0.name) } ?? "null")
                + ",\"offset\":\(f.offset)" + (f.errno == nil ? ",\"reason\":\"no data at offset 0\"" : "")
                + (f.remembered ? ",\"remembered\":true" : "") + "}"
        }.joined(separator: ",")
        s += "],\"extents\":\(r.extents),\"hole_bytes\":\(r.holeBytes),\"elapsed_ns\":\(r.elapsedNs)"
        if r.sourceChanged { s += ",\"source_changed\":true" }
        if !r.metadata.isEmpty {
            s += ",\"metadata\":{" + r.metadata.map { string($0.0) + ":" + string($0.1) }.joined(separator: ",") + "}"
        }
        if let b = r.backup { s += "," + name("backup", b) }
        if let c = r.cache { s += ",\"cache\":" + string(c.rawValue) }
        if let v = r.verify { s += ",\"verify\":" + string(v.rawValue) }
        if let d = r.sourceDigest { s += ",\"xxh3\":" + string(d.hex) }
        if let d = r.copyDigest, r.verify == .mismatch { s += ",\"xxh3_copy\":" + string(d.hex) }
        if let o = r.snapshot {
            s += ",\"snapshot\":" + string(o.action.rawValue) + ",\"snapshot_reason\":" + string(o.reason)
            if let d = o.dir { s += "," + name("snapshot_dir", d) }
        }
        if let d = r.manifestDigest { s += ",\"manifest_digest\":" + string(d) }
        switch r.resume {
        case nil: break
        case .complete: s += ",\"resume\":\"complete\""
        case .resumed(let at): s += ",\"resume\":\"resumed\",\"resumed_at\":\(at)"
        case .whole(let reason): s += ",\"resume\":\"whole\",\"resume_reason\":" + string(reason)
        }
        if let e = r.error {
            s += ",\"error\":" + string(Messages.text(for: e))
            if let errno = e.errno { s += ",\"errno\":" + string(errno.name) }
            if let call = e.syscall { s += ",\"syscall\":" + string(call.rawValue) }
            if let offset = e.offset { s += ",\"offset\":\(offset)" }
            if let kept = e.keptPartial { s += ",\"partial\":\(kept.bytes)" }
        }
        return s + "}\n"
    }
}
