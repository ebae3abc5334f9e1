//! The display protocol between a section's program and `d2lbook` (whose reader lives in
//! the main crate's `src/eval/protocol.rs`).
//!
//! A section's Rust cells run as one program:
//!
//! ```no_run
//! use d2l::prelude::*;
//! fn run() -> d2l::Result<()> {
//!     d2l::eval::cell(0);
//!     let x = Tensor::arange(0f32, 12., &Device::Cpu)?.reshape((3, 4))?;
//!     d2l::show!(x.sum_all()?);
//!     Ok(())
//! }
//! fn main() -> std::process::ExitCode { d2l::eval::finish(run()) }
//! ```
//!
//! Inside a book build, `d2lbook` sets four variables: `D2L_EVAL=1`, `D2L_EVAL_NONCE`
//! (a random token, new for every run), `D2L_EVAL_DATA` (the path of a file that only
//! this writer writes) and `D2L_EVAL_PARENT` (d2lbook's process id). When the first cell
//! opens, the program has itself killed when d2lbook dies, even by `kill -9` (on Linux,
//! `PR_SET_PDEATHSIG`), and exits at once if d2lbook is already gone. (d2lbook could set
//! this between fork and exec, but forking copies its page tables: 10 ms a program at
//! 100 MB resident, 50 ms at 1 GB; spawned without a fork it costs 0.3 ms.) The program
//! then writes:
//!
//! - on stdout and stderr, the marker `␞d2l:{nonce}:cell:{i}␞` (U+001E around it, no
//!   newline) when cell `i` opens ([`cell`]): what follows on that stream belongs to it;
//! - a rich value ([`emit`]), such as a figure (`image/svg+xml`) or a small tensor
//!   ([`TENSOR`]: its shape, dtype, device and formatted entries as JSON, see
//!   [`tensor_json`]), as a record of the data file, and on stdout the marker
//!   `␞d2l:{nonce}:data:{seq}␞` where the value sits among the printed text;
//! - at the end ([`finish`]), a record `done`, or a record `error` with the message of the
//!   `Err` that ended the program.
//!
//! A record is the line `{seq} {cell} {kind} {mime} {len}` (`kind` is `data`, `error` or
//! `done`; `mime` is `-` when there is none) followed by `len` bytes and a newline.
//!
//! What a cell prints can never be taken for a marker, however it is cut into lines: a
//! marker holds the nonce, which only the environment knows, and values and the final
//! error travel through the file, not through text. (A cell that reads
//! `D2L_EVAL_NONCE` on purpose can forge markers; nothing accidental can.)
//!
//! Panics are left to Rust's default hook, whose `panicked at file:line:col` the reader
//! maps back to the chapter; a program that ends without `done` or `error` (a
//! `std::process::exit` in a cell) is reported as such.
//!
//! Outside a book build (a plain `cargo run`) nothing of this is written: a figure is
//! written to `figure-{n}.svg` next to the executable and its path printed, a tensor is
//! printed as text, and an error is printed on stderr.

use crate::{Animator, Figure, Plot, Result};
use candle_core::{DType, Tensor, Var};
use std::fs::File;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// Markers start with this: U+001E, then `d2l:`; the nonce and the marker's body follow,
/// and U+001E ends it.
pub const MARKER: &str = "\u{1e}d2l:";

/// The variable holding the run's nonce.
pub const NONCE_VAR: &str = "D2L_EVAL_NONCE";
/// The variable holding the path of the data file.
pub const DATA_VAR: &str = "D2L_EVAL_DATA";
/// The variable holding the process id of the d2lbook that runs the program.
pub const PARENT_VAR: &str = "D2L_EVAL_PARENT";

/// MIME type of figures.
pub const SVG: &str = "image/svg+xml";
/// MIME type of small tensors: the JSON object of [`tensor_json`]. How the tensor looks
/// (a table on the site, in the PDF) is the book's choice, not the program's.
pub const TENSOR: &str = "application/vnd.d2l.tensor+json";
/// MIME type of plain text values (large tensors).
pub const TEXT: &str = "text/plain";

/// Largest tensor shown as a table: rank at most 2 and at most this many rows and columns.
pub const TABLE_MAX: usize = 20;

/// Whether the program runs inside a book build (`D2L_EVAL=1`).
pub fn in_book() -> bool {
    std::env::var_os("D2L_EVAL").is_some_and(|v| v == "1")
}

/// The protocol's state inside a book build.
struct Channel {
    nonce: String,
    data: File,
    /// Number of the last record written.
    seq: u64,
    /// The cell that opened last.
    cell: usize,
}

/// The channel, when the program runs inside a book build with the protocol's variables.
fn channel() -> Option<&'static Mutex<Channel>> {
    static CHANNEL: OnceLock<Option<Mutex<Channel>>> = OnceLock::new();
    CHANNEL
        .get_or_init(|| {
            if !in_book() {
                return None;
            }
            die_with_parent();
            let nonce = std::env::var(NONCE_VAR).ok().filter(|n| !n.is_empty())?;
            let path = std::env::var_os(DATA_VAR)?;
            let data = File::options().append(true).create(true).open(path).ok()?;
            Some(Mutex::new(Channel {
                nonce,
                data,
                seq: 0,
                cell: 0,
            }))
        })
        .as_ref()
}

/// Has the process killed when the d2lbook of [`PARENT_VAR`] dies; exits if it already
/// has (nobody is left to read the output, nor to stop a cell that loops).
#[cfg(target_os = "linux")]
fn die_with_parent() {
    let Some(parent) = std::env::var(PARENT_VAR)
        .ok()
        .and_then(|p| p.parse::<libc::pid_t>().ok())
    else {
        return;
    };
    // SAFETY: plain system calls.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
        if libc::getppid() != parent {
            libc::_exit(1);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent() {}

fn write_marker(w: &mut impl Write, nonce: &str, body: &str) -> io::Result<()> {
    write!(w, "{MARKER}{nonce}:{body}\u{1e}")?;
    w.flush()
}

/// Writes one record in a single `write_all`, so a program killed while writing leaves
/// at most one truncated record at the end, which the reader ignores.
fn write_record(
    w: &mut impl Write,
    seq: u64,
    cell: usize,
    kind: &str,
    mime: &str,
    data: &[u8],
) -> io::Result<()> {
    let mut record = format!("{seq} {cell} {kind} {mime} {}\n", data.len()).into_bytes();
    record.extend_from_slice(data);
    record.push(b'\n');
    w.write_all(&record)?;
    w.flush()
}

/// Opens cell `i`: flushes what was printed so far, then writes the cell marker to stdout
/// and to stderr (nothing outside a book build).
pub fn cell(i: usize) {
    let Some(channel) = channel() else { return };
    let mut ch = channel.lock().unwrap_or_else(|e| e.into_inner());
    ch.cell = i;
    let mut out = io::stdout().lock();
    let _ = out.flush();
    let _ = write_marker(&mut out, &ch.nonce, &format!("cell:{i}"));
    let _ = write_marker(&mut io::stderr().lock(), &ch.nonce, &format!("cell:{i}"));
}

/// Shows a rich value: inside a book build, a record of the data file and a marker on
/// stdout where it sits; outside, its bytes as text.
pub fn emit(mime: &str, data: &[u8]) {
    let Some(channel) = channel() else {
        println!("{}", String::from_utf8_lossy(data));
        return;
    };
    let mut ch = channel.lock().unwrap_or_else(|e| e.into_inner());
    ch.seq += 1;
    let (seq, cell) = (ch.seq, ch.cell);
    let mime: String = mime.chars().filter(|c| c.is_ascii_graphic()).collect();
    if write_record(&mut ch.data, seq, cell, "data", &mime, data).is_ok() {
        let mut out = io::stdout().lock();
        let _ = out.flush();
        let _ = write_marker(&mut out, &ch.nonce, &format!("data:{seq}"));
    }
}

/// Ends the program with the outcome of its cells: success for `Ok`, failure for `Err`.
/// Inside a book build, writes the record `done` or `error` (with the error's message);
/// outside, prints the error on stderr.
pub fn finish(result: Result<()>) -> ExitCode {
    let _ = io::stdout().flush();
    let (kind, message, code) = match &result {
        Ok(()) => ("done", String::new(), ExitCode::SUCCESS),
        Err(error) => ("error", format!("{error:#}"), ExitCode::FAILURE),
    };
    match channel() {
        Some(channel) => {
            let mut ch = channel.lock().unwrap_or_else(|e| e.into_inner());
            ch.seq += 1;
            let (seq, cell) = (ch.seq, ch.cell);
            let _ = write_record(&mut ch.data, seq, cell, kind, "-", message.as_bytes());
        }
        None if result.is_err() => eprintln!("Error: {message}"),
        None => {}
    }
    code
}

/// A value prepared for display by [`render!`](crate::render) / [`show!`](crate::show).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    /// Nothing to show (the value `()`, or a value that is neither `Display` nor `Debug`).
    Nothing,
    /// Text, printed on stdout with a newline.
    Text(String),
    /// A rich value.
    Data {
        /// Its MIME type, e.g. [`SVG`] or [`TENSOR`].
        mime: String,
        /// Its bytes.
        data: Vec<u8>,
        /// What to print instead outside a book build (`None`: the data itself, or for
        /// SVG, a file).
        text: Option<String>,
    },
}

/// How many figures were written to files outside a book build.
static FIGURES: AtomicUsize = AtomicUsize::new(0);

impl Shown {
    /// Displays the value: in a book build, emits rich values with [`emit`]; outside it,
    /// writes SVG to `figure-{n}.svg` next to the executable and prints the path, and
    /// prints other values as text.
    pub fn show(self) {
        match self {
            Shown::Nothing => {}
            Shown::Text(text) => println!("{text}"),
            Shown::Data { mime, data, .. } if channel().is_some() => emit(&mime, &data),
            Shown::Data { mime, data, .. } if mime == SVG => {
                let n = FIGURES.fetch_add(1, Ordering::Relaxed) + 1;
                let dir = std::env::current_exe()
                    .ok()
                    .and_then(|exe| exe.parent().map(|d| d.to_path_buf()))
                    .unwrap_or_default();
                let path = dir.join(format!("figure-{n}.svg"));
                match std::fs::write(&path, &data) {
                    Ok(()) => println!("[figure: {}]", path.display()),
                    Err(e) => eprintln!("cannot write {}: {e}", path.display()),
                }
            }
            Shown::Data {
                text: Some(text), ..
            } => println!("{text}"),
            Shown::Data { data, .. } => println!("{}", String::from_utf8_lossy(&data)),
        }
    }
}

/// Values with a rich display (figures, tensors), used by `show!` before `Display`.
/// Implement it to give a type of your own a rich display.
pub trait RichDisplay {
    /// The value, ready to show.
    fn render(&self) -> Shown;
}

impl<T: RichDisplay + ?Sized> RichDisplay for &T {
    fn render(&self) -> Shown {
        (**self).render()
    }
}

impl<T: RichDisplay + ?Sized> RichDisplay for &mut T {
    fn render(&self) -> Shown {
        (**self).render()
    }
}

impl RichDisplay for Figure {
    fn render(&self) -> Shown {
        Shown::Data {
            mime: SVG.to_string(),
            data: self.svg().as_bytes().to_vec(),
            text: None,
        }
    }
}

impl RichDisplay for Plot {
    fn render(&self) -> Shown {
        match self.build() {
            Ok(figure) => figure.render(),
            Err(e) => Shown::Text(format!("cannot draw the plot: {e}")),
        }
    }
}

impl RichDisplay for Animator {
    fn render(&self) -> Shown {
        match self.figure() {
            Ok(figure) => figure.render(),
            Err(e) => Shown::Text(format!("cannot draw the animator: {e}")),
        }
    }
}

impl RichDisplay for Tensor {
    fn render(&self) -> Shown {
        let text = format!("{self}");
        match tensor_json(self) {
            Some(json) => Shown::Data {
                mime: TENSOR.to_string(),
                data: json.into_bytes(),
                text: Some(text),
            },
            None => Shown::Data {
                mime: TEXT.to_string(),
                data: text.clone().into_bytes(),
                text: Some(text),
            },
        }
    }
}

impl RichDisplay for Var {
    fn render(&self) -> Shown {
        self.as_tensor().render()
    }
}

/// A tensor of rank 0, 1 or 2 with at most [`TABLE_MAX`] rows and columns as the JSON
/// object of a [`TENSOR`] record (`None` for others):
///
/// ```json
/// {"device":null,"dtype":"f32","shape":[2,2],"values":["0.5000","1.0000","2.0000","3.0000"]}
/// ```
///
/// `device` is `null` on the CPU, else candle's name of it (`Cuda { gpu_id: 0 }`);
/// `values` are the entries in row-major order, formatted here (`format_cells`), so
/// that every output of the book (site, PDF) shows the same digits and the book needs
/// no rule about dtypes.
pub fn tensor_json(t: &Tensor) -> Option<String> {
    let dims = t.dims();
    if dims.len() > 2 || dims.iter().any(|&d| d > TABLE_MAX) {
        return None;
    }
    let values = t
        .flatten_all()
        .and_then(|t| t.to_dtype(DType::F64))
        .and_then(|t| t.to_vec1::<f64>())
        .ok()?;
    let device = (!t.device().is_cpu()).then(|| format!("{:?}", t.device().location()));
    let record = serde_json::json!({
        "shape": dims,
        "dtype": t.dtype().as_str(),
        "device": device,
        "values": format_cells(&values, t.dtype().is_int()),
    });
    Some(record.to_string())
}

/// Formats the entries of a table alike: integers as integers; floats with 4 decimals,
/// or in scientific notation for very large or small magnitudes, or without decimals
/// when all are whole numbers.
fn format_cells(values: &[f64], is_int: bool) -> Vec<String> {
    let finite = || values.iter().copied().filter(|v| v.is_finite());
    let whole = finite().all(|v| v.fract() == 0.0 && v.abs() < 1e15);
    let max = finite().map(f64::abs).fold(0.0, f64::max);
    let min_nonzero = finite()
        .map(f64::abs)
        .filter(|&v| v > 0.0)
        .fold(f64::INFINITY, f64::min);
    let scientific = !whole && (max >= 1e5 || min_nonzero < 1e-3);
    values
        .iter()
        .map(|&v| {
            if v.is_nan() {
                "NaN".to_string()
            } else if v.is_infinite() {
                if v > 0.0 { "inf" } else { "-inf" }.to_string()
            } else if is_int || whole {
                format!("{v:.0}")
            } else if scientific {
                format!("{v:.4e}")
            } else {
                format!("{v:.4}")
            }
        })
        .collect()
}

/// What the `render!` and `show!` macros expand to: autoref specialisation picks the
/// first that applies of `()` (nothing), [`RichDisplay`], `Display`, `Debug`, anything
/// (nothing), by the number of references each trait is implemented under.
#[doc(hidden)]
pub mod __private {
    use super::{RichDisplay, Shown};
    use std::fmt::{Debug, Display};

    /// The value to show, by reference.
    pub struct Wrap<'a, T: ?Sized>(pub &'a T);

    /// `()`: nothing.
    pub trait ShowUnit {
        fn d2l_render(&self) -> Shown;
    }
    impl ShowUnit for &&&&Wrap<'_, ()> {
        fn d2l_render(&self) -> Shown {
            Shown::Nothing
        }
    }

    /// Rich values.
    pub trait ShowRich {
        fn d2l_render(&self) -> Shown;
    }
    impl<T: RichDisplay + ?Sized> ShowRich for &&&Wrap<'_, T> {
        fn d2l_render(&self) -> Shown {
            self.0.render()
        }
    }

    /// `Display`.
    pub trait ShowDisplay {
        fn d2l_render(&self) -> Shown;
    }
    impl<T: Display + ?Sized> ShowDisplay for &&Wrap<'_, T> {
        fn d2l_render(&self) -> Shown {
            Shown::Text(self.0.to_string())
        }
    }

    /// `Debug`.
    pub trait ShowDebug {
        fn d2l_render(&self) -> Shown;
    }
    impl<T: Debug + ?Sized> ShowDebug for &Wrap<'_, T> {
        fn d2l_render(&self) -> Shown {
            Shown::Text(format!("{:?}", self.0))
        }
    }

    /// Anything else: nothing.
    pub trait ShowOther {
        fn d2l_render(&self) -> Shown;
    }
    impl<T: ?Sized> ShowOther for Wrap<'_, T> {
        fn d2l_render(&self) -> Shown {
            Shown::Nothing
        }
    }
}

/// Prepares a value for display and returns the [`Shown`](crate::eval::Shown), without
/// printing it (see [`show!`](crate::show)). The value is taken by reference.
///
/// ```
/// use d2l::eval::Shown;
/// assert_eq!(d2l::render!(1 + 1), Shown::Text("2".into()));
/// assert_eq!(d2l::render!(()), Shown::Nothing);
/// ```
#[macro_export]
macro_rules! render {
    ($value:expr $(,)?) => {{
        #[allow(unused_imports)]
        use $crate::eval::__private::{
            ShowDebug as _, ShowDisplay as _, ShowOther as _, ShowRich as _, ShowUnit as _,
        };
        let value = &($value);
        (&&&&&$crate::eval::__private::Wrap(value)).d2l_render()
    }};
}

/// Shows a value as a notebook does, without moving it: a figure ([`Figure`](crate::Figure),
/// [`Plot`](crate::Plot), [`Animator`](crate::Animator)) as SVG; a tensor as a table (or
/// as text when large); then any `Display` value with `{}`; any `Debug` value with `{:?}`;
/// nothing for `()`. The book rewrites a cell's last expression `e` into
/// `d2l::show!(e);`.
///
/// ```
/// let v = vec![1, 2, 3];
/// d2l::show!(v); // prints [1, 2, 3]
/// assert_eq!(v.len(), 3); // still there
/// ```
#[macro_export]
macro_rules! show {
    ($value:expr $(,)?) => {
        $crate::eval::Shown::show($crate::render!($value))
    };
}

/// How a value shows in a Jupyter notebook run by the evcxr kernel (the notebooks of
/// `d2lbook build ipynb`): evcxr calls a value's `evcxr_display` method when it has one,
/// and reads the content it prints between its markers. A figure shows as SVG, a small
/// tensor as the table the book shows, anything else as its text.
pub trait EvcxrDisplay {
    /// Prints the value for evcxr.
    fn evcxr_display(&self);
}

impl<T: RichDisplay + ?Sized> EvcxrDisplay for T {
    fn evcxr_display(&self) {
        let (mime, content) = evcxr_content(self.render());
        println!("EVCXR_BEGIN_CONTENT {mime}\n{content}\nEVCXR_END_CONTENT");
    }
}

/// The MIME type and content evcxr shows for `shown`.
pub fn evcxr_content(shown: Shown) -> (&'static str, String) {
    match shown {
        Shown::Nothing => ("text/plain", String::new()),
        Shown::Text(text) => ("text/plain", text),
        Shown::Data { mime, data, .. } if mime == SVG => {
            ("image/svg+xml", String::from_utf8_lossy(&data).into_owned())
        }
        Shown::Data { mime, data, text } if mime == TENSOR => {
            match serde_json::from_slice::<serde_json::Value>(&data) {
                Ok(record) => ("text/html", tensor_html(&record)),
                Err(_) => ("text/plain", text.unwrap_or_default()),
            }
        }
        Shown::Data { data, text, .. } => (
            "text/plain",
            text.unwrap_or_else(|| String::from_utf8_lossy(&data).into_owned()),
        ),
    }
}

/// A tensor record (`tensor_json`) as an HTML table under its `Tensor[2, 3] f32` caption.
fn tensor_html(record: &serde_json::Value) -> String {
    let shape: Vec<usize> = record["shape"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|d| d.as_u64())
                .map(|d| d as usize)
                .collect()
        })
        .unwrap_or_default();
    let values: Vec<&str> = record["values"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut caption = format!(
        "Tensor[{}] {}",
        dims.join(", "),
        record["dtype"].as_str().unwrap_or_default()
    );
    if let Some(device) = record["device"].as_str() {
        caption.push_str(&format!(" ({device})"));
    }
    let mut html = format!(
        "<table>\n<caption>{}</caption>\n<tbody>\n",
        escape(&caption)
    );
    let width = shape.last().copied().unwrap_or(1).max(1);
    for row in values.chunks(width) {
        html.push_str("<tr>");
        for cell in row {
            html.push_str(&format!(
                "<td style=\"text-align:right\">{}</td>",
                escape(cell)
            ));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn data(shown: Shown) -> (String, String) {
        match shown {
            Shown::Data { mime, data, .. } => (mime, String::from_utf8(data).unwrap()),
            other => panic!("not data: {other:?}"),
        }
    }

    #[test]
    fn markers_and_records() {
        let mut buf = Vec::new();
        write_marker(&mut buf, "n0nce", "cell:3").unwrap();
        write_marker(&mut buf, "n0nce", "data:1").unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "\u{1e}d2l:n0nce:cell:3\u{1e}\u{1e}d2l:n0nce:data:1\u{1e}"
        );
        let mut buf = Vec::new();
        write_record(&mut buf, 1, 3, "data", SVG, b"<svg/>").unwrap();
        // Length in bytes, not characters.
        write_record(&mut buf, 2, 3, "error", "-", "図".as_bytes()).unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "1 3 data image/svg+xml 6\n<svg/>\n2 3 error - 3\n図\n"
        );
    }

    /// A program whose d2lbook is gone exits before its first cell, with 1; one whose
    /// d2lbook lives runs. (That it is killed with d2lbook is checked end to end by
    /// `processes_started_by_cells_never_outlive_their_section` in d2lbook's tests.)
    #[cfg(target_os = "linux")]
    #[test]
    fn a_program_runs_only_while_its_d2lbook_lives() {
        let data = std::env::temp_dir().join(format!("d2l-parent-{}", std::process::id()));
        // This test binary, run again for `opens_a_cell` alone, as a book build runs a
        // program: this process is its parent.
        let run = |parent: u32| {
            std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "eval::tests::opens_a_cell", "--ignored"])
                .args(["--nocapture", "--test-threads=1"])
                .env("D2L_EVAL", "1")
                .env(NONCE_VAR, "n0nce")
                .env(DATA_VAR, &data)
                .env(PARENT_VAR, parent.to_string())
                .output()
                .unwrap()
        };
        let alive = run(std::process::id());
        let stdout = String::from_utf8_lossy(&alive.stdout);
        assert!(alive.status.success(), "{alive:?}");
        assert!(
            stdout.contains("\u{1e}d2l:n0nce:cell:0\u{1e}cell 0 ran"),
            "{stdout}"
        );
        let orphan = run(std::process::id() + 1);
        assert_eq!(orphan.status.code(), Some(1), "{orphan:?}");
        assert!(
            !String::from_utf8_lossy(&orphan.stdout).contains("cell 0 ran"),
            "{orphan:?}"
        );
        let _ = std::fs::remove_file(data);
    }

    #[test]
    #[ignore = "a program of `a_program_runs_only_while_its_d2lbook_lives`"]
    fn opens_a_cell() {
        cell(0);
        println!("cell 0 ran");
    }

    #[test]
    fn finish_maps_results_to_exit_codes() {
        // Outside a book build: no channel, nothing written but the error on stderr.
        assert_eq!(finish(Ok(())), ExitCode::SUCCESS);
        assert_eq!(finish(Err(crate::Error::msg("boom"))), ExitCode::FAILURE);
    }

    #[test]
    fn figures_plots_and_animators_are_svg() {
        let fig = Plot::new()
            .line([0.0, 1.0], [1.0, 0.0], "down")
            .build()
            .unwrap();
        let (mime, svg) = data(crate::render!(fig));
        assert_eq!(mime, SVG);
        assert!(svg.contains("down"));
        let by_ref = &fig;
        assert_eq!(crate::render!(by_ref), crate::render!(fig));
        let (mime, _) = data(crate::render!(Plot::new().scatter([1], [2], "p")));
        assert_eq!(mime, SVG);
        let mut animator = Animator::new().legend(["loss"]);
        animator.add(1, &[1.0]);
        animator.add(2, &[0.5]);
        let (mime, svg) = data(crate::render!(animator));
        assert_eq!(mime, SVG);
        assert!(svg.contains("loss"));
        // Not moved by rendering.
        assert_eq!(animator.len(), 1);
        assert!(!fig.svg().is_empty());
    }

    /// The record of a small tensor, parsed back.
    fn record(shown: Shown) -> serde_json::Value {
        let (mime, json) = data(shown);
        assert_eq!(mime, TENSOR);
        serde_json::from_str(&json).unwrap()
    }

    #[test]
    fn small_tensors_are_records() {
        let x = Tensor::arange(0f32, 12., &Device::Cpu)
            .unwrap()
            .reshape((3, 4))
            .unwrap();
        // The exact bytes: keys in order, no spaces.
        assert_eq!(
            data(crate::render!(x)).1,
            "{\"device\":null,\"dtype\":\"f32\",\"shape\":[3,4],\
             \"values\":[\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\",\"11\"]}"
        );
        let s = x.sum_all().unwrap();
        assert_eq!(
            record(crate::render!(s)),
            serde_json::json!({"device": null, "dtype": "f32", "shape": [], "values": ["66"]})
        );
        let v = Tensor::new(&[0.5f64, 1.25, -2.0], &Device::Cpu).unwrap();
        assert_eq!(
            record(crate::render!(v)),
            serde_json::json!({
                "device": null, "dtype": "f64", "shape": [3],
                "values": ["0.5000", "1.2500", "-2.0000"],
            })
        );
        let ints = Tensor::new(&[1u32, 2], &Device::Cpu).unwrap();
        let ints = record(crate::render!(&ints));
        assert_eq!(
            (&ints["dtype"], &ints["values"]),
            (&"u32".into(), &serde_json::json!(["1", "2"]))
        );
        let var = Var::from_tensor(&v).unwrap();
        assert_eq!(crate::render!(var), crate::render!(v));
        // The largest table, and an empty one.
        let edge = Tensor::zeros((TABLE_MAX, TABLE_MAX), DType::F32, &Device::Cpu).unwrap();
        assert_eq!(
            record(crate::render!(edge))["values"]
                .as_array()
                .unwrap()
                .len(),
            400
        );
        let empty = Tensor::zeros((3, 0), DType::F32, &Device::Cpu).unwrap();
        assert_eq!(
            record(crate::render!(empty))["values"],
            serde_json::json!([])
        );
        // Outside a book build, a small tensor prints as candle's text.
        match crate::render!(x) {
            Shown::Data {
                text: Some(text), ..
            } => assert!(text.contains("Tensor[[3, 4], f32]")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn large_tensors_are_text() {
        let big = Tensor::zeros((30, 2), DType::F32, &Device::Cpu).unwrap();
        let (mime, text) = data(crate::render!(big));
        assert_eq!(mime, TEXT);
        assert!(text.contains("Tensor[[30, 2], f32]"), "{text}");
        let cube = Tensor::zeros((2, 2, 2), DType::F32, &Device::Cpu).unwrap();
        assert_eq!(data(crate::render!(cube)).0, TEXT);
        let long = Tensor::zeros(5000, DType::F32, &Device::Cpu).unwrap();
        let (_, text) = data(crate::render!(long));
        assert!(text.contains("..."), "candle elides long tensors");
    }

    #[test]
    fn cells_format_alike() {
        assert_eq!(format_cells(&[1.0, 2.5], false), ["1.0000", "2.5000"]);
        assert_eq!(format_cells(&[1e-5, 1.0], false), ["1.0000e-5", "1.0000e0"]);
        assert_eq!(
            format_cells(&[f64::NAN, 1.0, f64::NEG_INFINITY], false),
            ["NaN", "1", "-inf"]
        );
    }

    #[test]
    fn display_debug_unit_and_other() {
        assert_eq!(crate::render!(42), Shown::Text("42".into()));
        assert_eq!(crate::render!("hi"), Shown::Text("hi".into()));
        let s = String::from("owned");
        assert_eq!(crate::render!(s), Shown::Text("owned".into()));
        assert_eq!(s, "owned"); // not moved
        assert_eq!(crate::render!(vec![1, 2]), Shown::Text("[1, 2]".into()));
        assert_eq!(crate::render!(Some(1.5)), Shown::Text("Some(1.5)".into()));
        assert_eq!(crate::render!(()), Shown::Nothing);
        assert_eq!(crate::render!(for _ in 0..2 {}), Shown::Nothing);
        struct Opaque;
        assert_eq!(crate::render!(Opaque), Shown::Nothing);
        let timer = crate::Timer::new();
        assert!(matches!(crate::render!(timer), Shown::Text(t) if t.starts_with("Timer")));
    }

    #[test]
    fn show_does_not_move() {
        let v = vec![String::from("a")];
        crate::show!(v);
        crate::show!(());
        assert_eq!(v.len(), 1);
    }

    #[test]
    fn evcxr_shows_tensors_as_tables_and_figures_as_svg() {
        let t = Tensor::new(&[[1f32, 2.], [3., 4.5]], &Device::Cpu).unwrap();
        let (mime, html) = evcxr_content(t.render());
        assert_eq!(mime, "text/html");
        assert_eq!(
            html,
            "<table>\n<caption>Tensor[2, 2] f32</caption>\n<tbody>\n\
             <tr><td style=\"text-align:right\">1.0000</td><td style=\"text-align:right\">2.0000</td></tr>\n\
             <tr><td style=\"text-align:right\">3.0000</td><td style=\"text-align:right\">4.5000</td></tr>\n\
             </tbody>\n</table>"
        );
        let figure = crate::Plot::new()
            .line(t.get(0).unwrap(), t.get(1).unwrap(), "y")
            .build()
            .unwrap();
        let (mime, svg) = evcxr_content(figure.render());
        assert_eq!(mime, "image/svg+xml");
        assert!(svg.starts_with("<svg"), "{svg}");
        // A tensor too large for a table reads as candle's text.
        let big = Tensor::zeros((30, 30), DType::F32, &Device::Cpu).unwrap();
        assert_eq!(evcxr_content(big.render()).0, "text/plain");
    }
}
