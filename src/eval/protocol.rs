//! Reads what a section's program wrote through `d2l::eval` (the writer, whose module
//! docs describe the protocol): markers in its stdout and stderr, records in its data file.
//!
//! - `␞d2l:{nonce}:cell:{i}␞` on a stream opens cell `i` there; `␞d2l:{nonce}:data:{seq}␞`
//!   on stdout places the rich value of record `seq` of the data file. Markers are
//!   recognised anywhere, also in the middle of a line or of a read, and only with this
//!   run's nonce: text a cell prints (marker-like or not, with or without newline) stays
//!   text.
//! - The data file holds the rich values and how the program ended (`done`, or `error`
//!   with the message of its `Err`): nothing a cell prints can forge them.
//! - A value of type [`TENSOR`] is a small tensor as JSON (`shape`, `dtype`, `device`,
//!   `values`: the entries already formatted by the library) and becomes
//!   [`Output::Tensor`]; a record that does not hold one becomes an error output saying
//!   why. Other values keep their MIME type ([`Output::Data`]).
//!
//! Order: both streams are read as they arrive and each piece goes to the cell that its
//! stream's last marker opened, in arrival order. Within a stream the order is exact; between
//! stdout and stderr it is the order in which the pipes delivered, which is the program's
//! order for whole writes (stdout is line-buffered and flushed at every marker and value,
//! stderr is unbuffered) but not guaranteed to the byte.
//!
//! Text kept per cell and stream is capped at [`TEXT_CAP`]; the rest is read and counted,
//! never kept, and a note says how much was cut.

use crate::doc::{Output, Tensor};
use std::collections::HashMap;

/// Version of the protocol: part of the cache key, so outputs read by an older reader
/// are not reused (3: tensors travel as data, not as HTML tables).
pub const VERSION: u32 = 3;

/// MIME type of a tensor record (`d2l::eval::TENSOR`).
const TENSOR: &str = "application/vnd.d2l.tensor+json";

/// Largest text output kept per cell and stream; the rest is cut with a note.
pub const TEXT_CAP: usize = 64 * 1024;

/// Longest marker body after the nonce (`data:18446744073709551615`).
const BODY_MAX: usize = 32;

/// The nonce's alphabet: what the writer may put in a marker without escaping.
fn valid_nonce(nonce: &str) -> bool {
    !nonce.is_empty() && nonce.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A fresh random nonce of 128 bits, as hex: std's `RandomState` is seeded from the
/// operating system's randomness; the time, the process and an address are mixed in.
pub fn nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    let part = |salt: u64| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(salt);
        h.write_u32(std::process::id());
        h.write_usize(&salt as *const u64 as usize);
        if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            h.write_u128(t.as_nanos());
        }
        h.finish()
    };
    format!("{:016x}{:016x}", part(1), part(2))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout = 0,
    Stderr = 1,
}

#[derive(Debug, PartialEq)]
pub enum Token {
    Text(Vec<u8>),
    Cell(usize),
    Data(u64),
}

/// Splits one stream into text and markers, fed in pieces as they are read: a marker may
/// be cut between two reads.
pub struct Tokenizer {
    prefix: Vec<u8>,
    /// The end of the last piece, which may be the start of a marker.
    pending: Vec<u8>,
}

impl Tokenizer {
    pub fn new(nonce: &str) -> Tokenizer {
        debug_assert!(valid_nonce(nonce));
        Tokenizer {
            prefix: format!("\u{1e}d2l:{nonce}:").into_bytes(),
            pending: Vec::new(),
        }
    }

    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<Token>) {
        let mut buf = std::mem::take(&mut self.pending);
        buf.extend_from_slice(bytes);
        let mut text_start = 0;
        let mut pos = 0;
        while let Some(i) = buf[pos..].iter().position(|&b| b == 0x1e) {
            let at = pos + i;
            let rest = &buf[at..];
            if rest.len() < self.prefix.len() {
                if self.prefix.starts_with(rest) {
                    // Maybe a marker cut by the read: wait for more.
                    push_text(out, &buf[text_start..at]);
                    self.pending = buf[at..].to_vec();
                    return;
                }
                pos = at + 1;
                continue;
            }
            if !rest.starts_with(&self.prefix) {
                pos = at + 1;
                continue;
            }
            let body_start = at + self.prefix.len();
            let window = &buf[body_start..buf.len().min(body_start + BODY_MAX + 1)];
            match window.iter().position(|&b| b == 0x1e) {
                Some(len) => {
                    let token = std::str::from_utf8(&buf[body_start..body_start + len])
                        .ok()
                        .and_then(parse_marker);
                    match token {
                        Some(token) => {
                            push_text(out, &buf[text_start..at]);
                            out.push(token);
                            pos = body_start + len + 1;
                            text_start = pos;
                        }
                        None => pos = at + 1,
                    }
                }
                None if window.len() <= BODY_MAX => {
                    push_text(out, &buf[text_start..at]);
                    self.pending = buf[at..].to_vec();
                    return;
                }
                None => pos = at + 1,
            }
        }
        push_text(out, &buf[text_start..]);
    }

    /// The end of the stream: what was held back is text.
    pub fn finish(&mut self, out: &mut Vec<Token>) {
        let pending = std::mem::take(&mut self.pending);
        push_text(out, &pending);
    }
}

fn push_text(out: &mut Vec<Token>, bytes: &[u8]) {
    if !bytes.is_empty() {
        out.push(Token::Text(bytes.to_vec()));
    }
}

fn parse_marker(body: &str) -> Option<Token> {
    if let Some(i) = body.strip_prefix("cell:") {
        return i.parse().ok().map(Token::Cell);
    }
    body.strip_prefix("data:")?.parse().ok().map(Token::Data)
}

enum Piece {
    Text(Stream, Vec<u8>),
    Data(u64),
    /// Where text of a stream started to be cut; the count is in `Collector::cut`.
    Cut(Stream),
}

/// The outputs of each cell, as the streams' tokens arrive (from both reader threads,
/// behind one lock, so in arrival order).
pub struct Collector {
    cells: Vec<Vec<Piece>>,
    /// The cell each stream's last marker opened.
    current: [Option<usize>; 2],
    kept: Vec<[usize; 2]>,
    cut: Vec<[usize; 2]>,
    last_cell: Option<usize>,
}

impl Collector {
    pub fn new(cells: usize) -> Collector {
        Collector {
            cells: (0..cells).map(|_| Vec::new()).collect(),
            current: [None, None],
            kept: vec![[0, 0]; cells],
            cut: vec![[0, 0]; cells],
            last_cell: None,
        }
    }

    pub fn push(&mut self, stream: Stream, token: Token) {
        let s = stream as usize;
        match token {
            Token::Cell(i) if i < self.cells.len() => {
                self.current[s] = Some(i);
                self.last_cell = self.last_cell.max(Some(i));
            }
            Token::Cell(_) => {}
            // Only stdout carries values; text before the first cell has no place.
            Token::Data(seq) if stream == Stream::Stdout => {
                if let Some(c) = self.current[s] {
                    self.cells[c].push(Piece::Data(seq));
                }
            }
            Token::Data(_) => {}
            Token::Text(bytes) => {
                let Some(c) = self.current[s] else { return };
                let room = TEXT_CAP - self.kept[c][s];
                let keep = bytes.len().min(room);
                if keep > 0 {
                    self.kept[c][s] += keep;
                    match self.cells[c].last_mut() {
                        Some(Piece::Text(last, text)) if *last == stream => {
                            text.extend_from_slice(&bytes[..keep])
                        }
                        _ => self.cells[c].push(Piece::Text(stream, bytes[..keep].to_vec())),
                    }
                }
                if keep < bytes.len() {
                    if self.cut[c][s] == 0 {
                        self.cells[c].push(Piece::Cut(stream));
                    }
                    self.cut[c][s] += bytes.len() - keep;
                }
            }
        }
    }

    /// The outputs of each cell, with the values of the data file in their places.
    pub fn finish(self, data: &DataFile) -> Parsed {
        let cut = &self.cut;
        let cells = self
            .cells
            .into_iter()
            .enumerate()
            .map(|(c, pieces)| {
                pieces
                    .into_iter()
                    .filter_map(|piece| match piece {
                        Piece::Text(stream, bytes) => {
                            let text = String::from_utf8_lossy(&bytes).into_owned();
                            Some(match stream {
                                Stream::Stdout => Output::Stdout(text),
                                Stream::Stderr => Output::Stderr(text),
                            })
                        }
                        Piece::Data(seq) => {
                            let (mime, bytes) = data.values.get(&seq)?;
                            Some(value(mime, bytes))
                        }
                        Piece::Cut(stream) => Some(Output::Note(format!(
                            "output cut: {} more bytes not shown",
                            cut[c][stream as usize]
                        ))),
                    })
                    .collect()
            })
            .collect();
        Parsed {
            cells,
            last_cell: self.last_cell,
            error: data.error.clone(),
            done: data.done,
        }
    }
}

/// A rich value as an output: a tensor record as typed data (or, malformed, an error that
/// says why), anything else as its MIME type and text.
fn value(mime: &str, bytes: &[u8]) -> Output {
    if mime != TENSOR {
        return Output::Data {
            mime: mime.to_string(),
            data: String::from_utf8_lossy(bytes).into_owned(),
        };
    }
    match tensor(bytes) {
        Ok(t) => Output::Tensor(t),
        Err(why) => Output::Error(format!("error: malformed tensor value: {why}")),
    }
}

/// The JSON object of a tensor record, as the writer sends it.
#[derive(serde::Deserialize)]
struct TensorRecord {
    shape: Vec<usize>,
    dtype: String,
    device: Option<String>,
    values: Vec<String>,
}

/// A tensor record, checked: its entries must fill its shape (the backends lay them out
/// in rows by it).
fn tensor(bytes: &[u8]) -> Result<Tensor, String> {
    let r: TensorRecord = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let size = r.shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    if size != Some(r.values.len()) {
        return Err(format!(
            "shape {:?} does not hold its {} values",
            r.shape,
            r.values.len()
        ));
    }
    Ok(Tensor {
        shape: r.shape,
        dtype: r.dtype,
        device: r.device,
        cells: r.values,
    })
}

/// The outputs of each cell, and how the program ended.
#[derive(Debug, Default, PartialEq)]
pub struct Parsed {
    pub cells: Vec<Vec<Output>>,
    /// The last cell that started.
    pub last_cell: Option<usize>,
    /// The message of an `Err` returned by the program.
    pub error: Option<String>,
    /// The program reached its end (`Ok` or `Err`): not set when it exited early.
    pub done: bool,
}

/// The records of a program's data file.
#[derive(Debug, Default)]
pub struct DataFile {
    /// Rich values by record number: MIME type and bytes.
    pub values: HashMap<u64, (String, Vec<u8>)>,
    pub error: Option<String>,
    /// A `done` or `error` record was written.
    pub done: bool,
}

impl DataFile {
    /// Reads records up to the first one that is malformed or cut (a program killed while
    /// writing).
    pub fn parse(mut bytes: &[u8]) -> DataFile {
        let mut file = DataFile::default();
        while let Some(nl) = bytes.iter().position(|&b| b == b'\n') {
            let header = String::from_utf8_lossy(&bytes[..nl]).into_owned();
            let fields: Vec<&str> = header.split(' ').collect();
            let [seq, _cell, kind, mime, len] = fields[..] else {
                break;
            };
            let (Ok(seq), Ok(len)) = (seq.parse::<u64>(), len.parse::<usize>()) else {
                break;
            };
            let body = &bytes[nl + 1..];
            if body.len() < len + 1 || body[len] != b'\n' {
                break;
            }
            let payload = &body[..len];
            match kind {
                "data" => {
                    file.values
                        .insert(seq, (mime.to_string(), payload.to_vec()));
                }
                "error" => {
                    file.error = Some(String::from_utf8_lossy(payload).trim_end().to_string());
                    file.done = true;
                }
                "done" => file.done = true,
                _ => break,
            }
            bytes = &body[len + 1..];
        }
        file
    }
}

/// Reads whole streams at once (tests, and what the runner does piece by piece).
#[cfg(test)]
pub fn parse(nonce: &str, stdout: &[u8], stderr: &[u8], data: &[u8], cells: usize) -> Parsed {
    let mut collector = Collector::new(cells);
    for (stream, bytes) in [(Stream::Stdout, stdout), (Stream::Stderr, stderr)] {
        let mut tokens = Vec::new();
        let mut t = Tokenizer::new(nonce);
        t.feed(bytes, &mut tokens);
        t.finish(&mut tokens);
        for token in tokens {
            collector.push(stream, token);
        }
    }
    collector.finish(&DataFile::parse(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: &str = "abc123";

    fn marker(body: &str) -> String {
        format!("\u{1e}d2l:{N}:{body}\u{1e}")
    }

    #[test]
    fn cells_values_and_errors() {
        let out = format!(
            "{}hello\n{}x: {}after\n",
            marker("cell:0"),
            marker("cell:1"),
            marker("data:1")
        );
        let err = format!("{}warn\n{}", marker("cell:0"), marker("cell:1"));
        let data = "1 1 data image/svg+xml 5\n<svg>\n2 1 error - 4\nboom\n";
        let p = parse(N, out.as_bytes(), err.as_bytes(), data.as_bytes(), 2);
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
                Output::Stdout("x: ".into()),
                Output::Data {
                    mime: "image/svg+xml".into(),
                    data: "<svg>".into()
                },
                Output::Stdout("after\n".into())
            ]
        );
        assert_eq!(p.last_cell, Some(1));
        assert_eq!(p.error.as_deref(), Some("boom"));
        assert!(p.done);
    }

    #[test]
    fn markers_count_anywhere_and_only_with_the_nonce() {
        // No newline before the next cell's marker; a `\r` progress line; forged markers.
        let out = format!(
            "{}partial{}\rprogress 50%\r{}\u{1e}d2l:cell:0\n\u{1e}d2l:other:cell:0\u{1e}",
            marker("cell:0"),
            marker("cell:1"),
            marker("cell:2")
        );
        let p = parse(N, out.as_bytes(), b"", b"", 3);
        assert_eq!(p.cells[0], vec![Output::Stdout("partial".into())]);
        assert_eq!(p.cells[1], vec![Output::Stdout("\rprogress 50%\r".into())]);
        assert_eq!(
            p.cells[2],
            vec![Output::Stdout(
                "\u{1e}d2l:cell:0\n\u{1e}d2l:other:cell:0\u{1e}".into()
            )]
        );
        assert!(!p.done, "no `done` record: the program ended early");
    }

    #[test]
    fn markers_cut_between_reads() {
        let out = format!("{}one{}two", marker("cell:0"), marker("cell:1"));
        for split in 0..out.len() {
            let mut tokens = Vec::new();
            let mut t = Tokenizer::new(N);
            t.feed(&out.as_bytes()[..split], &mut tokens);
            t.feed(&out.as_bytes()[split..], &mut tokens);
            t.finish(&mut tokens);
            let mut c = Collector::new(2);
            for token in tokens {
                c.push(Stream::Stdout, token);
            }
            let p = c.finish(&DataFile::default());
            assert_eq!(p.cells[0], vec![Output::Stdout("one".into())], "{split}");
            assert_eq!(p.cells[1], vec![Output::Stdout("two".into())], "{split}");
        }
    }

    #[test]
    fn forged_records_and_values_are_text() {
        // A cell printing what looks like an old marker with HTML is shown as text; a
        // value marker without a record shows nothing.
        let out = format!(
            "{}\u{1e}d2l:data:text/html:9\n<b>x</b>\n{}",
            marker("cell:0"),
            marker("data:7")
        );
        let p = parse(N, out.as_bytes(), b"", b"1 0 done - 0\n\n", 1);
        assert_eq!(
            p.cells[0],
            vec![Output::Stdout(
                "\u{1e}d2l:data:text/html:9\n<b>x</b>\n".into()
            )]
        );
        assert!(p.done && p.error.is_none());
        // A record cut by a kill is ignored.
        let cut = DataFile::parse(b"1 0 data text/html 100\n<b>");
        assert!(cut.values.is_empty() && !cut.done);
    }

    #[test]
    fn tensor_records_are_data_and_malformed_ones_errors() {
        let record =
            |seq: u64, json: &str| format!("{seq} 0 data {TENSOR} {}\n{json}\n", json.len());
        let records = [
            record(
                1,
                r#"{"device":null,"dtype":"f32","shape":[2,2],"values":["0","1","2","3"]}"#,
            ),
            record(
                2,
                r#"{"device":"Cuda { gpu_id: 0 }","dtype":"u8","shape":[],"values":["7"]}"#,
            ),
            record(3, r#"{"dtype":"f32","shape":[2,2],"values":["0","1","2"]}"#),
            record(4, r#"{"dtype":"f32","shape":[2],"values":[1,2]}"#),
            record(5, "not json"),
            record(
                6,
                r#"{"dtype":"f32","shape":[4294967296,4294967296,4294967296],"values":[]}"#,
            ),
            "7 0 data text/plain 3\nbig\n".to_string(),
        ]
        .concat();
        let out = format!(
            "{}{}",
            marker("cell:0"),
            (1..=7)
                .map(|i| marker(&format!("data:{i}")))
                .collect::<String>()
        );
        let p = parse(N, out.as_bytes(), b"", records.as_bytes(), 1);
        let tensor = |shape: Vec<usize>, dtype: &str, device: Option<&str>, cells: &[&str]| {
            Output::Tensor(Tensor {
                shape,
                dtype: dtype.into(),
                device: device.map(String::from),
                cells: cells.iter().map(|c| c.to_string()).collect(),
            })
        };
        assert_eq!(
            p.cells[0][0],
            tensor(vec![2, 2], "f32", None, &["0", "1", "2", "3"])
        );
        assert_eq!(
            p.cells[0][1],
            tensor(vec![], "u8", Some("Cuda { gpu_id: 0 }"), &["7"])
        );
        let errors: Vec<&str> = p.cells[0][2..6]
            .iter()
            .map(|o| match o {
                Output::Error(e) => e.as_str(),
                other => panic!("not an error: {other:?}"),
            })
            .collect();
        assert!(errors
            .iter()
            .all(|e| e.starts_with("error: malformed tensor value: ")));
        assert!(
            errors[0].ends_with("shape [2, 2] does not hold its 3 values"),
            "{}",
            errors[0]
        );
        assert!(errors[1].contains("expected a string"), "{}", errors[1]);
        assert!(errors[2].contains("expected ident"), "{}", errors[2]);
        assert!(
            errors[3].contains("does not hold its 0 values"),
            "an overflowing shape: {}",
            errors[3]
        );
        // Other values keep their type.
        assert_eq!(
            p.cells[0][6],
            Output::Data {
                mime: "text/plain".into(),
                data: "big".into()
            }
        );
    }

    #[test]
    fn long_output_is_capped_with_a_note() {
        let long = format!("{}{}", marker("cell:0"), "x".repeat(TEXT_CAP + 10));
        let p = parse(N, long.as_bytes(), b"", b"", 1);
        assert_eq!(p.cells[0].len(), 2);
        assert_eq!(
            p.cells[0][1],
            Output::Note("output cut: 10 more bytes not shown".into())
        );
    }

    #[test]
    fn nonces_are_fresh() {
        let (a, b) = (nonce(), nonce());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(valid_nonce(&a));
    }
}
