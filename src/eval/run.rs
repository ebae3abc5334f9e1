//! Runs one section's program: environment for reproducible output, a timeout, and a cap
//! on how much output is kept in memory.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Bytes read from each stream at most; a program writing more is stopped.
const STREAM_CAP: usize = 32 * 1024 * 1024;

pub struct Finished {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub success: bool,
    pub timed_out: bool,
    /// A stream went past `STREAM_CAP`.
    pub flooded: bool,
}

pub fn run(exe: &Path, dir: &Path, timeout: Duration) -> std::io::Result<Finished> {
    let mut child = Command::new(exe)
        .current_dir(dir)
        .env("D2L_EVAL", "1")
        .env("D2L_SEED", "0")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let reader = |stream: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut flooded = false;
            if let Some(mut s) = stream {
                let mut chunk = [0u8; 64 * 1024];
                while let Ok(n) = s.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    if buf.len() + n > STREAM_CAP {
                        flooded = true;
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
            }
            (buf, flooded)
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    // A reader past the cap drops its pipe, so a flooding program fails on its next write.
    let started = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() > timeout {
            timed_out = true;
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let (stdout, flooded_out) = out.join().unwrap_or_default();
    let (stderr, flooded_err) = err.join().unwrap_or_default();
    Ok(Finished {
        stdout,
        stderr,
        success: status.is_some_and(|s| s.success()),
        timed_out,
        flooded: flooded_out || flooded_err,
    })
}
