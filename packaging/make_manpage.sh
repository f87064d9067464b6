#!/usr/bin/env bash
# Writes the man page tokenscope.1 (roff) from the built executable's own help, so the page cannot drift from the
# flags: `tokenscope --help` gives the verbs, `tokenscope VERB --help` each verb's usage, summary and flags.
# Run at build time by packaging/CMakeLists.txt:  make_manpage.sh EXE OUT VERSION
# TS_SIMD=scalar keeps the help of verbs that run a model from timing the SIMD levels (and writing ~/.cache).
set -euo pipefail
exe=$1 out=$2 version=$3
export TS_SIMD=scalar

# roff-safe text: backslashes as \e, a leading . or ' guarded with \&, and dashes of flags as \- (minus signs).
esc() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }
flags() { sed -e 's/-/\\-/g'; }

verbs=$("$exe" --help | awk '/^verbs:/ {on=1; next} on && /^  [a-z]/ {print $1}')
[ -n "$verbs" ] || { echo "make_manpage: '$exe --help' lists no verbs" >&2; exit 1; }

{
    cat <<ROFF
.TH TOKENSCOPE 1 "" "tokenscope $version" "User Commands"
.SH NAME
tokenscope \\- a desktop explorer of transformer inference
.SH SYNOPSIS
.B tokenscope
[\\fIVERB\\fR] [\\fIFLAGS\\fR]
.br
.B tokenscope
\\fIFILE\\fR.gguf
.br
.B tokenscope \\-\\-version
.SH DESCRIPTION
TokenScope runs a language model token by token and shows what happens inside: attention heatmaps, Q\\(mdK scores,
the softmax that turns them into weights, the sampler's stages, the logit ranking and the KV cache.
It reads GGUF files (llama, qwen2) and llama2.c checkpoints, and carries a small default model of its own.
.PP
Without a verb it opens the explorer on the default model; with a file name it opens the explorer on that file
(as \\fBtokenscope gui \\-m\\fR \\fIFILE\\fR).
The other verbs work without a display.
.SH COMMANDS
ROFF
    for v in $verbs; do
        help=$("$exe" "$v" --help 2>/dev/null) || continue  # a verb this build lacks (gui, shot without the GUI)
        usage=$(printf '%s\n' "$help" | sed -n '1s/^usage: //p')
        summary=$(printf '%s\n' "$help" | sed -n '2p')
        printf '.SS "%s"\n' "$(printf '%s' "$usage" | esc | flags)"
        printf '%s\n' "$summary" | esc
        # Flag lines: "  LEFT<padded to 26> HELP"; a LEFT longer than 26 is followed by one space.
        printf '%s\n' "$help" | awk '/^flags:/ {on=1; next} on && /^  / {
                left = substr($0, 3, 26); rest = substr($0, 29)
                if (substr($0, 29, 1) != " " && length($0) > 28 && substr($0, 28, 1) != " ") {
                    i = index(substr($0, 3), "  "); left = substr($0, 3, i - 1); rest = substr($0, i + 2)
                }
                sub(/ +$/, "", left); sub(/^ +/, "", rest)
                print left "\t" rest }' |
            while IFS=$'\t' read -r left rest; do
                printf '.TP\n.B %s\n' "$(printf '%s' "$left" | esc | flags)"
                printf '%s\n' "$rest" | esc
            done
    done
    cat <<'ROFF'
.SH ENVIRONMENT
.TP
.B TS_SIMD
Forces the kernels' SIMD level: scalar, avx2, avx512 or vnni. An unknown name, or a level the CPU lacks, is an
error (exit status 2). Without it, the first command that runs a model times the levels and keeps the fastest.
.TP
.B XDG_CACHE_HOME
Where the measured SIMD level is kept (default \fI~/.cache\fR).
.SH FILES
.TP
.I ~/.cache/tokenscope/simd\-level
The SIMD level measured fastest on this CPU model; delete it to measure again.
.TP
.I ~/.config/tokenscope/imgui.ini
The explorer's window layout, sizes, options and recent files.
.SH "EXIT STATUS"
0 on success, 1 on an error (one line starting with \fBerror:\fR on standard error), 2 on bad usage.
.SH EXAMPLES
.TP
.B tokenscope run \-n 16 \-p """And God said"""
Generate 16 tokens from the default model.
.TP
.B tokenscope run \-m model.gguf \-p """The capital of France is""" \-n 16 \-\-trace trace.json
Write the trace of the run (JSON and .npy arrays) for a notebook.
.TP
.B tokenscope shot \-\-panel attention \-o attention.png
Render the explorer's attention panel offscreen into a PNG.
ROFF
} > "$out.tmp"
mv "$out.tmp" "$out"
