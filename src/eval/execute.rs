//! One section's run turned into its record: compile errors placed under their cells,
//! the program run, and how it ended (a timeout, an `Err`, a panic, an early exit)
//! reported at the cell that was running.

use super::*;

/// Builds a section's record from compile errors, or from running its program.
pub(super) fn execute(job: &Job, built: &cargo::Built, ctx: &RunContext, file: &str) -> Record {
    let n = job.cells.len();
    let mut record = Record {
        outputs: vec![Vec::new(); n],
        ..Record::default()
    };
    let errors: Vec<&cargo::CompilerMessage> = built
        .messages
        .iter()
        .filter(|m| m.bin == job.bin && m.level == "error")
        .collect();
    if !errors.is_empty() || !built.executables.contains_key(&job.bin) {
        for m in errors {
            let (cell, line, col) = locate(&job.program, m.at, n);
            // rustc's own look under the cell, the code in brackets in the build's list.
            let (under_cell, listed) = match &m.code {
                Some(code) => (
                    format!("error[{code}]: {}", m.message),
                    format!("[{code}] {}", m.message),
                ),
                None => (format!("error: {}", m.message), m.message.clone()),
            };
            let mut text = format!("{under_cell}\n  --> {file}:{line}:{col}");
            for note in &m.notes {
                text.push_str(&format!("\n  = {note}"));
            }
            record.outputs[cell].push(Output::Error(text));
            record.failures.push(Failure {
                cell,
                message: format!("cell does not compile: {listed}"),
                line,
                col,
            });
        }
        if record.failures.is_empty() {
            record.failures.push(Failure {
                cell: 0,
                message: "the section's program was not built".into(),
                line: job.cells[0].span.line,
                col: 1,
            });
        }
        return record;
    }
    let exe = &built.executables[&job.bin];
    // A fresh scratch folder per section: its working directory, emptied at every run.
    let work_dir = ctx.work_root.join(&job.bin);
    let _ = std::fs::remove_dir_all(&work_dir);
    let setup = run::Setup {
        exe,
        work_dir: &work_dir,
        data_file: ctx.work_root.join(format!("{}.data", job.bin)),
        timeout: ctx.timeout,
        env: &ctx.env,
        cells: n,
    };
    let finished = std::fs::create_dir_all(&work_dir).and_then(|()| run::run(&setup));
    let finished = match finished {
        Ok(f) => f,
        Err(e) => {
            record.transient = true;
            record.failures.push(Failure {
                cell: 0,
                message: format!("cannot run the section's program: {e}"),
                line: job.cells[0].span.line,
                col: 1,
            });
            return record;
        }
    };
    let parsed = finished.parsed;
    record.outputs = parsed.cells;
    let last = parsed.last_cell.unwrap_or(0).min(n - 1);
    let cell_line = job
        .program
        .first_line(last)
        .unwrap_or(job.cells[last].span.line);
    let fail = |record: &mut Record, message: String, shown: String| {
        record.outputs[last].push(Output::Error(shown));
        record.failures.push(Failure {
            cell: last,
            message,
            line: cell_line,
            col: 1,
        });
    };
    let panic = if parsed.done {
        None
    } else {
        take_panic(&mut record.outputs[last], &job.bin)
    };
    match finished.exit {
        run::Exit::TimedOut => {
            let message = format!(
                "timed out after {} s in cell {} of {file} (`[eval] timeout`)",
                ctx.timeout.as_secs(),
                last + 1
            );
            fail(&mut record, message.clone(), message);
            record.transient = true;
        }
        _ if parsed.error.is_some() => {
            let error = parsed.error.unwrap_or_default();
            fail(
                &mut record,
                format!("cell returned an error: {error}"),
                format!("Error: {error}"),
            );
        }
        run::Exit::Code(0) if parsed.done => {}
        _ if panic.is_some() => {
            let panic = panic.expect("checked");
            // The panic's location if it is in a cell; else (inside the library or std)
            // the cell that was running, at its first line, and the real location in the
            // message.
            let (cell, line, col) = match panic.at {
                Some(at) => locate(&job.program, Some(at), n),
                None => (last, cell_line, 1),
            };
            let message = panic.message;
            record.outputs[last].push(Output::Error(format!(
                "panicked at {file}:{line}:{col}:\n{message}"
            )));
            record.failures.push(Failure {
                cell,
                message: format!("cell panicked: {message}"),
                line,
                col,
            });
        }
        run::Exit::Signal(signal) => {
            let message = format!("the program crashed (signal {signal})");
            fail(&mut record, message.clone(), message);
            // A crash by signal may be the machine's (out of memory): not cached.
            record.transient = true;
        }
        run::Exit::Code(code) => {
            // No `done`: a cell ended the program (`std::process::exit`).
            let message = if last + 1 < n {
                let range = if last + 2 == n {
                    format!("cell {} did not run", n)
                } else {
                    format!("cells {}–{n} did not run", last + 2)
                };
                format!("{range}: the program exited (exit status {code}) in this cell")
            } else {
                format!("the program exited (exit status {code}) in this cell, before the end of the section")
            };
            fail(&mut record, message.clone(), message);
        }
    }
    if !record.failures.is_empty() {
        for outputs in record.outputs.iter_mut().skip(last + 1) {
            outputs.push(Output::Note("not run: an earlier cell failed".into()));
        }
    }
    record
}

/// Takes the panic message that Rust's default hook wrote on stderr (the last one) out of
/// a cell's outputs.
fn take_panic(outputs: &mut Vec<Output>, bin: &str) -> Option<Panic> {
    let i = outputs
        .iter()
        .rposition(|o| matches!(o, Output::Stderr(text) if text.contains("panicked at ")))?;
    let Output::Stderr(text) = &outputs[i] else {
        return None;
    };
    let start = text.rfind("panicked at ")?;
    let panic = panic_message(&text[start..], bin)?;
    // What the cell wrote before the panic stays; the hook's own lines go.
    let line_start = text[..start].rfind('\n').map_or(0, |p| p + 1);
    let before = text[..line_start].to_string();
    if before.is_empty() {
        outputs.remove(i);
    } else {
        outputs[i] = Output::Stderr(before);
    }
    Some(panic)
}

/// The cell, chapter line and column of a generated location.
fn locate(program: &Program, at: Option<(usize, usize)>, cells: usize) -> (usize, usize, usize) {
    let (line, col) = at.unwrap_or((0, 1));
    match program.locate(line) {
        Some((cell, chapter_line)) => (cell, chapter_line, col),
        None => {
            // A line of the scaffolding: attribute it to the nearest cell line above.
            let before = (1..line).rev().find_map(|l| program.locate(l));
            let (cell, chapter_line) = before.unwrap_or((cells - 1, 1));
            (cell, chapter_line, 1)
        }
    }
}

struct Panic {
    at: Option<(usize, usize)>,
    message: String,
}

/// `thread 'main' panicked at src/bin/NAME.rs:12:5:\nmessage\nnote: …`
fn panic_message(stderr: &str, bin: &str) -> Option<Panic> {
    let start = stderr.rfind("panicked at ")?;
    let rest = &stderr[start + "panicked at ".len()..];
    let (location, body) = rest.split_once(":\n").unwrap_or((rest, ""));
    let message: Vec<&str> = body
        .lines()
        .take_while(|l| !l.starts_with("note: run with"))
        .collect();
    let prefix = format!("src/bin/{bin}.rs:");
    let at = location.strip_prefix(&prefix).and_then(|lc| {
        let (l, c) = lc.split_once(':')?;
        Some((l.parse().ok()?, c.parse().ok()?))
    });
    Some(Panic {
        at,
        message: if at.is_some() {
            message.join("\n")
        } else {
            format!("{}\n(at {location})", message.join("\n"))
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_locations_are_read() {
        let p = panic_message("thread 'main' panicked at src/bin/s_a.rs:12:5:\nboom\nnote: run with `RUST_BACKTRACE=1`\n", "s_a").unwrap();
        assert_eq!(p.at, Some((12, 5)));
        assert_eq!(p.message, "boom");
    }
}
