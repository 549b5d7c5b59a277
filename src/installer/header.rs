//! The shell header of an installer: a POSIX `sh` script (minijinja template) that checks the machine and the
//! payload appended after it, asks for the licenses, unpacks the payload into a temporary directory and runs the
//! engine on it. Its options follow Miniforge's installers (`-b`, `-p PREFIX`, `-u`, `-h`).
//!
//! The payload starts at byte `payload_offset` of the file (the header's length); the header ends with `exit`
//! before it, so the shell never reads the payload as script. Only POSIX utilities are used: `uname`, `wc`,
//! `tail -c`, `cut`, `mktemp`, `tar`, and `sha256sum` (GNU/busybox) or `shasum -a 256` (BSD/macOS).

/// The header template. Variables: `title`, `platform`, `machines` (the `uname -m` names of the target, first
/// the canonical one), `specs`, `count`, `default_dir`, `licenses` (text), `licenses_end` (heredoc delimiter
/// absent from `licenses`), `payload_offset`, `payload_size` (bytes) and `payload_sha256` (hex).
pub const TEMPLATE: &str = r#"#!/bin/sh
# {{ title }}: a self-contained installer of {{ specs }} for {{ platform }}, made by `archi installer`.
# Run it with sh: `sh THIS_FILE -h` lists the options. Everything after the line `__ARCHIVE_BELOW__` is a tar
# archive (the engine, records.json and the .conda packages); its size and sha256 are checked before anything is
# written.
set -eu

TARGET_PLATFORM='{{ platform }}'
TARGET_MACHINE='{{ machines[0] }}'
PAYLOAD_OFFSET={{ payload_offset }}
PAYLOAD_SIZE={{ payload_size }}
PAYLOAD_SHA256='{{ payload_sha256 }}'
THIS=$0

usage() {
    cat <<'ARCHI_USAGE_END'
usage: sh installer.sh [-b] [-u] [-p PREFIX] [-h]

Installs {{ specs }} ({{ count }} packages for {{ platform }}) into PREFIX, offline.

  -b          batch mode: ask nothing (the licenses are taken as accepted)
  -p PREFIX   install into PREFIX (default: $HOME/{{ default_dir }})
  -u          update an existing PREFIX (without -u an existing PREFIX is refused)
  -h          print this help and exit

ARCHI_INSTALLER_MACHINE, when set, replaces `uname -m` as this machine's name (for installs
into an emulated {{ machines[0] }} environment from another machine).
ARCHI_USAGE_END
}

die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

licenses() {
    cat <<'{{ licenses_end }}'
{{ licenses }}
{{ licenses_end }}
}

BATCH=0
UPDATE=0
PREFIX="${HOME:-/tmp}/{{ default_dir }}"
while getopts "bup:h" opt; do
    case $opt in
        b) BATCH=1 ;;
        u) UPDATE=1 ;;
        p) PREFIX=$OPTARG ;;
        h) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || die "unexpected argument: $1 (see -h)"

# 1. This machine must be the target's architecture.
MACHINE=${ARCHI_INSTALLER_MACHINE:-$(uname -m)}
case "$MACHINE" in
    {{ machines | join("|") }}) ;;
    *) die "this installer is for $TARGET_PLATFORM ($TARGET_MACHINE) but this machine is $MACHINE; nothing was written" ;;
esac

# 2. The payload must be whole and unaltered.
if command -v sha256sum >/dev/null 2>&1; then
    SHA256="sha256sum"
elif command -v shasum >/dev/null 2>&1; then
    SHA256="shasum -a 256"
else
    die "neither sha256sum nor shasum is installed: cannot check the payload; nothing was written"
fi
TOTAL=$(wc -c <"$THIS")
if [ $((TOTAL - PAYLOAD_OFFSET)) -ne "$PAYLOAD_SIZE" ]; then
    die "$THIS is damaged: its payload has $((TOTAL - PAYLOAD_OFFSET)) bytes, $PAYLOAD_SIZE expected (truncated or altered download?); nothing was written"
fi
ACTUAL=$(tail -c +$((PAYLOAD_OFFSET + 1)) "$THIS" | $SHA256 | cut -d ' ' -f 1)
if [ "$ACTUAL" != "$PAYLOAD_SHA256" ]; then
    die "$THIS is damaged: payload sha256 $ACTUAL, $PAYLOAD_SHA256 expected (altered download?); nothing was written"
fi

# 3. The prefix: absolute; an existing one only with -u.
case "$PREFIX" in
    /*) ;;
    *) PREFIX="$(pwd)/$PREFIX" ;;
esac
if [ "$UPDATE" = 0 ] && [ -e "$PREFIX" ]; then
    die "$PREFIX already exists; use -u to update it (nothing was written)"
fi

# 4. The licenses.
if [ "$BATCH" = 0 ]; then
    printf '\nThis installs {{ specs }} ({{ count }} packages) for %s into %s.\n' "$TARGET_PLATFORM" "$PREFIX"
    printf 'Please review the licenses of the packages:\n\n'
    if [ -t 1 ] && command -v more >/dev/null 2>&1; then
        licenses | more
    else
        licenses
    fi
    printf '\nDo you accept the license terms? [yes|no]\n>>> '
    ANSWER=
    read -r ANSWER || true
    case "$ANSWER" in
        [yY][eE][sS]) ;;
        *) die "the license terms were not accepted; nothing was written" ;;
    esac
fi

# 5. Unpack into a temporary directory and let the engine install.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/archi-installer.XXXXXX") || die "cannot create a temporary directory"
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
tail -c +$((PAYLOAD_OFFSET + 1)) "$THIS" | (cd "$WORK" && tar -xf -) || die "cannot unpack the payload into $WORK"
if [ "$UPDATE" = 1 ]; then
    "$WORK/engine" "$WORK" "$PREFIX" --update || die "installation into $PREFIX failed"
else
    "$WORK/engine" "$WORK" "$PREFIX" || die "installation into $PREFIX failed"
fi
printf 'installation finished: %s\n' "$PREFIX"
exit 0
__ARCHIVE_BELOW__
"#;

/// The values the template is rendered with (see [`TEMPLATE`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct HeaderValues {
    /// First line's name, e.g. `archi installer`.
    pub title: String,
    /// The target subdir (`linux-aarch64`).
    pub platform: String,
    /// `uname -m` names the target is known by, canonical first (`aarch64`, `arm64`).
    pub machines: Vec<String>,
    /// The requested specs, space separated.
    pub specs: String,
    /// How many packages the payload holds.
    pub count: usize,
    /// Default prefix directory under `$HOME`.
    pub default_dir: String,
    /// The license text shown before installing (no NUL or other control characters but tab and newline).
    pub licenses: String,
    /// The heredoc delimiter of `licenses`: a line that does not occur in it.
    pub licenses_end: String,
    /// Byte offset of the payload: the header's length.
    pub payload_offset: u64,
    /// Payload length in bytes.
    pub payload_size: u64,
    /// Payload sha256, lowercase hex.
    pub payload_sha256: String,
}

/// Renders the header so that `payload_offset` equals its own length in bytes (rendered until the number's
/// width is stable). Only `payload_offset` of `values` is changed.
///
/// Errors: a template error (a bug: the template is fixed).
pub fn render(mut values: HeaderValues) -> Result<String, minijinja::Error> {
    let mut env = minijinja::Environment::new();
    env.set_keep_trailing_newline(true);
    env.add_template("header", TEMPLATE)?;
    let template = env.get_template("header")?;
    values.payload_offset = 0;
    loop {
        let text = template.render(&values)?;
        let length = text.len() as u64;
        if length == values.payload_offset {
            return Ok(text);
        }
        values.payload_offset = length;
    }
}

/// `text` made safe for a quoted heredoc in the header: control characters other than tab and newline dropped,
/// and a delimiter chosen (`ARCHI_LICENSES_END`, with a numeric suffix when some line of `text` equals it).
/// Returns `(text, delimiter)`.
pub fn heredoc(text: &str) -> (String, String) {
    let clean: String = text
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    let mut delimiter = "ARCHI_LICENSES_END".to_string();
    let mut n = 0;
    while clean.lines().any(|line| line == delimiter) {
        n += 1;
        delimiter = format!("ARCHI_LICENSES_END_{n}");
    }
    (clean.trim_end().to_string(), delimiter)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(licenses: &str) -> HeaderValues {
        let (licenses, licenses_end) = heredoc(licenses);
        HeaderValues {
            title: "t".into(),
            platform: "linux-aarch64".into(),
            machines: vec!["aarch64".into(), "arm64".into()],
            specs: "zlib xz".into(),
            count: 2,
            default_dir: "zlib".into(),
            licenses,
            licenses_end,
            payload_offset: 0,
            payload_size: 10,
            payload_sha256: "ab".into(),
        }
    }

    #[test]
    fn the_offset_is_the_header_length_and_the_archive_marker_ends_it() {
        let text = render(values("zlib: Zlib")).unwrap();
        let line = format!("PAYLOAD_OFFSET={}\n", text.len());
        assert!(text.contains(&line), "{text}");
        assert!(text.ends_with("exit 0\n__ARCHIVE_BELOW__\n"));
        assert!(text.contains("    aarch64|arm64) ;;"));
    }

    #[test]
    fn a_license_line_equal_to_the_delimiter_gets_another_one() {
        let (text, end) = heredoc("a\nARCHI_LICENSES_END\n\u{0}b\n");
        assert_eq!(end, "ARCHI_LICENSES_END_1");
        assert_eq!(text, "a\nARCHI_LICENSES_END\nb");
    }
}
