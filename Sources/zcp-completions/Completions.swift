import ZcpCore

/// Completion scripts for bash (with bash-completion), zsh and fish, each made from
/// `OptionTable.all`: every long and short option, the words each value can take (a
/// comma-separated list completes its last item), files and directories where a file or a
/// directory is named.
enum Completions {
    static let header = "zcp completion, made by zcp-completions from zcp's option table (do not edit)"

    // MARK: bash

    static func bash() -> String {
        var cases: [String] = []
        for o in OptionTable.all where o.argument != .none {
            let names = ([o.short.map { "-\($0)" }] + [o.long.map { "--\($0)" }]).compactMap { $0 }
            let action: String
            switch o.values {
            case .text: action = "return"
            case .file: action = "_filedir; return"
            case .directory: action = "_filedir -d; return"
            case .words(let w), .number(let w): action = "COMPREPLY=($(compgen -W '\(w.joined(separator: " "))' -- \"$cur\")); return"
            case .list(let w): action = "_zcp_list \"$cur\" \(w.joined(separator: " ")); return"
            }
            if o.argument == .optional {
                // Only "--name=value" gives it a value; a word after it is an operand.
                cases.append("        \(names.joined(separator: "|"))) if $split; then \(action); fi ;;")
            } else {
                cases.append("        \(names.joined(separator: "|"))) \(action) ;;")
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
        var specs: [String] = []
        for o in OptionTable.all {
            let action: String
            switch o.values {
            case .text: action = " "
            case .file: action = "_files"
            case .directory: action = "_files -/"
            case .words(let w), .number(let w): action = "(\(w.joined(separator: " ")))"
            case .list(let w): action = "_sequence compadd - \(w.joined(separator: " "))"
            }
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
            let repeatable = o.long == "exclude" || o.long == "exclude-from"
            let forms = [shortForm, longForm].compactMap { $0 }
            if forms.count == 2 {
                let names = [o.short.map { "-\($0)" }, o.long.map { "--\($0)" }].compactMap { $0 }.joined(separator: " ")
                specs.append(quoted("(\(names))") + "{" + forms.joined(separator: ",") + "}" + quoted(tail))
            } else {
                specs.append(quoted((repeatable ? "*" : "") + forms[0] + tail))
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
        var lines: [String] = []
        for o in OptionTable.all {
            var line = "complete -c zcp"
            if let s = o.short { line += " -s \(s)" }
            if let l = o.long { line += " -l \(l)" }
            switch (o.argument, o.values) {
            case (.none, _): break
            case (_, .text): line += " -x"
            case (_, .file): line += " -r -F"
            case (_, .directory): line += " -x -a '(__fish_complete_directories)'"
            case (_, .words(let w)), (_, .number(let w)): line += " -x -a " + quoted(w.joined(separator: " "))
            case (_, .list(let w)): line += " -x -a " + quoted("(__zcp_list \(w.joined(separator: " ")))")
            }
            line += " -d " + quoted(o.summary)
            if o.argument == .required, let l = o.long {
                // fish would complete the name with a space after it: "--name=" is offered
                // instead (no space follows a completion ending in '='), and the declared
                // option, which still completes its value, is not offered as a name.
                line = line.replacingAll("complete -c zcp ", "complete -c zcp -n 'not __zcp_naming' ")
                lines.append(line)
                lines.append("complete -c zcp -n __zcp_naming -f -a " + quoted("--\(l)=") + " -d " + quoted(o.summary))
            } else {
                lines.append(line)
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
