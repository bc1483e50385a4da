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

    /// One report line for a record.
    static func line(for r: FileRecord) -> String {
        var s = "{\"source\":" + string(r.source.description)
        s += ",\"dest\":" + string(r.dest.description)
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
        if let b = r.backup { s += ",\"backup\":" + string(b.description) }
        if let c = r.cache { s += ",\"cache\":" + string(c.rawValue) }
        if let v = r.verify { s += ",\"verify\":" + string(v.rawValue) }
        if let d = r.sourceDigest { s += ",\"xxh3\":" + string(d.hex) }
        if let d = r.copyDigest, r.verify == .mismatch { s += ",\"xxh3_copy\":" + string(d.hex) }
        switch r.resume {
        case nil: break
        case .complete: s += ",\"resume\":\"complete\""
        case .resumed(let at): s += ",\"resume\":\"resumed\",\"resumed_at\":\(at)"
        case .whole(let reason): s += ",\"resume\":\"whole\",\"resume_reason\":" + string(reason)
        }
        if let e = r.error {
            s += ",\"error\":" + string(Messages.text(for: e))
            if let errno = e.errno { s += ",\"errno\":" + string(errno.name) }
            if let offset = e.offset { s += ",\"offset\":\(offset)" }
            if let kept = e.keptPartial { s += ",\"partial\":\(kept.bytes)" }
        }
        return s + "}\n"
    }
}
