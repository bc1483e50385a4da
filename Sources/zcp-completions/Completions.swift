import ZcpCore

/// Completion scripts for bash (with bash-completion), zsh and fish, each made from
/// `OptionTable.all`: every long and short option, the words each value can take (a
/// comma-separated list completes its last item), files and directories where a file or a
/// directory is named.
enum Completions {
    static let header = "zcp completion, made by zcp-completions from zcp's option table (do not edit)"

    /// How one shell completes each kind of value; `words` and `list` get the words
    /// space-separated.
    struct ValueActions {
        let text: String, file: String, directory: String
        let words: (String) -> String
        let list: (String) -> String

        func action(for values: OptionSpec.Values) -> String {
            switch values {
            case .text: return text
            case .file: return file
            case .directory: return directory
            case .words(let w), .number(let w): return words(w.joined(separator: " "))
            case .list(let w): return list(w.joined(separator: " "))
            }
        }
    }

    // MARK: bash

    static func bash() -> String {
        let actions = ValueActions(
            text: "return", file: "_filedir; return", directory: "_filedir -d; return",
            words: { "COMPREPLY=($(compgen -W '\($0)' -- \"$cur\")); return" },
            list: { "_zcp_list \"$cur\" \($0); return" })
        var cases: [String] = []
        for o in OptionTable.all where o.argument != .none {
            let names = o.dashedNames.joined(separator: "|")
            let action = actions.action(for: o.values)
            if o.argument == .optional {
                // Only "--name=value" gives it a value; a word after it is an operand.
                cases.append("        \(names)) if $split; then \(action); fi ;;")
            } else {
                cases.append("        \(names)) \(action) ;;")
            }
        }
        var words: [String] = []
        for o in OptionTable.all {
            if let l = o.long {
                switch o.argument {
                case .none: words.append("--\(l)")
                case .required: words.append("--\(l)=")
                case .optional: words += ["--\(l)", "--\(l)="]
                }
            }
        }
        words += OptionTable.all.compactMap { $0.short.map { "-\($0)" } }
        return """
            # bash \(header)

            # _zcp_list CUR WORD...: completes the last item of a comma-separated list, each word once.
            _zcp_list() {
                local cur=$1 head= tail=$1 w
                shift
                if [[ $cur == *,* ]]; then head=${cur%,*},; tail=${cur##*,}; fi
                local words=()
                for w in "$@"; do
                    [[ ,$head == *,"$w",* ]] || words+=("$w")
                done
                COMPREPLY=($(compgen -P "$head" -W "${words[*]}" -- "$tail"))
                compopt -o nospace
            }

            _zcp() {
                local cur prev words cword split
                _init_completion -s || return
                case $prev in
            \(cases.joined(separator: "\n"))
                esac
                $split && return
                if [[ $cur == -* ]]; then
                    COMPREPLY=($(compgen -W '\(words.joined(separator: " "))' -- "$cur"))
                    [[ ${COMPREPLY-} == *= ]] && compopt -o nospace
                    return
                fi
                _filedir
            }
            complete -F _zcp zcp

            """
    }

    // MARK: zsh

    static func zsh() -> String {
        func quoted(_ s: String) -> String { "'" + s.replacingAll("'", "'\\''") + "'" }
        func described(_ s: String) -> String {
            "[" + s.replacingAll("\\", "\\\\").replacingAll("[", "\\[").replacingAll("]", "\\]") + "]"
        }
        let actions = ValueActions(
            text: " ", file: "_files", directory: "_files -/",
            words: { "(\($0))" }, list: { "_sequence compadd - \($0)" })
        var specs: [String] = []
        for o in OptionTable.all {
            let action = actions.action(for: o.values)
            let valueName = o.long ?? "value"
            let tail: String
            var shortForm = o.short.map { "-\($0)" }
            var longForm = o.long.map { "--\($0)" }
            switch o.argument {
            case .none:
                tail = described(o.summary)
            case .required:
                shortForm = shortForm.map { $0 + "+" }
                longForm = longForm.map { $0 + "=" }
                tail = described(o.summary) + ":" + valueName + ":" + action
            case .optional:
                longForm = longForm.map { $0 + "=-" }
                tail = described(o.summary) + "::" + valueName + ":" + action
            }
            let forms = [shortForm, longForm].compactMap { $0 }
            if forms.count == 2 {
                specs.append(
                    quoted("(\(o.dashedNames.joined(separator: " ")))") + "{" + forms.joined(separator: ",") + "}" + quoted(tail))
            } else {
                specs.append(quoted((o.repeatable ? "*" : "") + forms[0] + tail))
            }
        }
        specs.append(quoted("*:file:_files"))
        return """
            #compdef zcp
            # zsh \(header)

            _arguments -s -S \\
              \(specs.joined(separator: " \\\n  "))

            """
    }

    // MARK: fish

    static func fish() -> String {
        func quoted(_ s: String) -> String { "'" + s.replacingAll("\\", "\\\\").replacingAll("'", "\\'") + "'" }
        let actions = ValueActions(
            text: " -x", file: " -r -F", directory: " -x -a '(__fish_complete_directories)'",
            words: { " -x -a " + quoted($0) }, list: { " -x -a " + quoted("(__zcp_list \($0))") })
        var lines: [String] = []
        for o in OptionTable.all {
            // fish would complete a name that needs a value with a space after it: "--name="
            // is offered instead (no space follows a completion ending in '='), and the
            // declared option, which still completes its value, is not offered as a name.
            let offeredWithEquals = o.argument == .required ? o.long : nil
            var line = "complete -c zcp" + (offeredWithEquals != nil ? " -n 'not __zcp_naming'" : "")
            if let s = o.short { line += " -s \(s)" }
            if let l = o.long { line += " -l \(l)" }
            if o.argument != .none { line += actions.action(for: o.values) }
            lines.append(line + " -d " + quoted(o.summary))
            if let l = offeredWithEquals {
                lines.append("complete -c zcp -n __zcp_naming -f -a " + quoted("--\(l)=") + " -d " + quoted(o.summary))
            }
        }
        return """
            # fish \(header)

            # The last item of a comma-separated list, each word once.
            function __zcp_list
                set -l token (string replace -r -- '^--[^=]*=' '' (commandline -ct))
                set -l head (string match -r -- '^.*,' $token)
                set -l done (string split -- , $head)
                for w in $argv
                    contains -- $w $done; or printf '%s%s\\n' "$head" $w
                end
            end

            # Whether the word being completed is a long option's name (no '=' yet).
            function __zcp_naming
                string match -qr -- '^--[^=]*$' (commandline -ct)
            end

            complete -c zcp -F
            \(lines.joined(separator: "\n"))

            """
    }
}

extension OptionSpec {
    /// "-a", "--archive": the names as typed.
    var dashedNames: [String] { [short.map { "-\($0)" }, long.map { "--\($0)" }].compactMap { $0 } }
}

extension String {
    func replacingAll(_ target: String, _ replacement: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound] + replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
