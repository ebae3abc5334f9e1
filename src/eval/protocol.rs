//! Reads what a section's program wrote: the marker lines of `d2l::eval` (the writer side
//! lives in the `d2l` crate) split stdout and stderr into cells and carry rich values.
//!
//! Markers are lines starting with U+001E (record separator):
//! `␞d2l:cell:{i}` opens cell i (on both streams), `␞d2l:data:{mime}:{len}` is followed by
//! `len` bytes and a newline, `␞d2l:error` is followed by the message of the `Err` that
//! ended the program (on stderr).

use crate::doc::Output;

const MARK: &[u8] = "\u{1e}d2l:".as_bytes();

/// Largest text output shown per cell and stream; the rest is elided with a note.
pub const TEXT_CAP: usize = 64 * 1024;

/// The outputs of each cell, and how the program ended.
#[derive(Debug, Default, PartialEq)]
pub struct Parsed {
    pub cells: Vec<Vec<Output>>,
    /// The last cell that started.
    pub last_cell: Option<usize>,
    /// The message of an `Err` returned by the program.
    pub error: Option<String>,
}

pub fn parse(stdout: &[u8], stderr: &[u8], cells: usize) -> Parsed {
    let mut parsed = Parsed {
        cells: vec![Vec::new(); cells],
        ..Parsed::default()
    };
    read_stream(stdout, false, &mut parsed);
    let mut err = Parsed {
        cells: vec![Vec::new(); cells],
        ..Parsed::default()
    };
    read_stream(stderr, true, &mut err);
    // Stderr after stdout within a cell: the streams' interleaving is not recorded.
    for (out, extra) in parsed.cells.iter_mut().zip(err.cells) {
        out.extend(extra);
    }
    parsed.last_cell = parsed.last_cell.max(err.last_cell);
    parsed.error = err.error;
    parsed
}

fn read_stream(bytes: &[u8], is_stderr: bool, parsed: &mut Parsed) {
    let mut cell: Option<usize> = None;
    let mut text: Vec<u8> = Vec::new();
    let mut pos = 0;
    let flush = |text: &mut Vec<u8>, cell: Option<usize>, parsed: &mut Parsed| {
        if text.is_empty() {
            return;
        }
        if let Some(outputs) = cell.and_then(|c| parsed.cells.get_mut(c)) {
            let s = String::from_utf8_lossy(text).into_owned();
            for piece in capped(s) {
                outputs.push(match piece {
                    Output::Stdout(s) if is_stderr => Output::Stderr(s),
                    other => other,
                });
            }
        }
        text.clear();
    };
    while pos < bytes.len() {
        let line_end = bytes[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| pos + i + 1);
        let line = &bytes[pos..line_end];
        let Some(marker) = line.strip_prefix(MARK) else {
            text.extend_from_slice(line);
            pos = line_end;
            continue;
        };
        let marker = String::from_utf8_lossy(marker).trim_end().to_string();
        pos = line_end;
        if let Some(i) = marker
            .strip_prefix("cell:")
            .and_then(|n| n.parse::<usize>().ok())
        {
            flush(&mut text, cell, parsed);
            cell = Some(i);
            parsed.last_cell = parsed.last_cell.max(Some(i));
        } else if let Some(rest) = marker.strip_prefix("data:") {
            flush(&mut text, cell, parsed);
            let (mime, len) = rest.rsplit_once(':').unwrap_or((rest, "0"));
            let len: usize = len.parse().unwrap_or(0);
            let end = (pos + len).min(bytes.len());
            let data = String::from_utf8_lossy(&bytes[pos..end]).into_owned();
            pos = (end + 1).min(bytes.len()); // the newline after the data
            if let Some(outputs) = cell.and_then(|c| parsed.cells.get_mut(c)) {
                outputs.push(Output::Data {
                    mime: mime.to_string(),
                    data,
                });
            }
        } else if marker == "error" {
            flush(&mut text, cell, parsed);
            let message = String::from_utf8_lossy(&bytes[pos..])
                .trim_end()
                .to_string();
            parsed.error = Some(message);
            return;
        }
    }
    flush(&mut text, cell, parsed);
}

/// A text output, cut at `TEXT_CAP` with a note saying how much was left out.
fn capped(text: String) -> Vec<Output> {
    if text.len() <= TEXT_CAP {
        return vec![Output::Stdout(text)];
    }
    let mut cut = TEXT_CAP;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let rest = text.len() - cut;
    vec![
        Output::Stdout(text[..cut].to_string()),
        Output::Note(format!("output cut: {rest} more bytes not shown")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_data_and_errors() {
        let out = "\u{1e}d2l:cell:0\nhello\n\u{1e}d2l:cell:1\n\u{1e}d2l:data:image/svg+xml:5\n<svg>\nafter\n";
        let err = "\u{1e}d2l:cell:0\nwarn\n\u{1e}d2l:cell:1\n\u{1e}d2l:error\nboom\n";
        let p = parse(out.as_bytes(), err.as_bytes(), 2);
        assert_eq!(
            p.cells[0],
            vec![
                Output::Stdout("hello\n".into()),
                Output::Stderr("warn\n".into())
            ]
        );
        assert_eq!(
            p.cells[1],
            vec![
                Output::Data {
                    mime: "image/svg+xml".into(),
                    data: "<svg>".into()
                },
                Output::Stdout("after\n".into())
            ]
        );
        assert_eq!(p.last_cell, Some(1));
        assert_eq!(p.error.as_deref(), Some("boom"));
    }

    #[test]
    fn long_output_is_capped_with_a_note() {
        let long = format!("\u{1e}d2l:cell:0\n{}", "x".repeat(TEXT_CAP + 10));
        let p = parse(long.as_bytes(), b"", 1);
        assert_eq!(p.cells[0].len(), 2);
        assert_eq!(
            p.cells[0][1],
            Output::Note("output cut: 10 more bytes not shown".into())
        );
    }
}
