//! Runs one section's program: its own process group, a minimal environment, a timeout,
//! both streams read as they arrive (and drained to the end, whatever their size), and
//! nothing left running afterwards.
//!
//! Every process a cell starts stays in the section's process group unless it leaves it
//! on purpose (`setsid`). The group is killed when the program ends, on timeout, and when
//! d2lbook is stopped by SIGINT or SIGTERM; on Linux the program also dies with d2lbook,
//! even on `kill -9`: told d2lbook's pid, the library sets `PR_SET_PDEATHSIG` when the
//! first cell opens (setting it here, between fork and exec, would make every start a
//! fork, which copies d2lbook's page tables: 10 ms at 100 MB resident, 50 ms at 1 GB,
//! against 0.3 ms for the `posix_spawn` the standard library uses otherwise). A process
//! that left the group is not followed: its pipes are abandoned after a short grace
//! period, so it cannot hold the build.

use super::protocol::{Collector, DataFile, Parsed, Stream, Tokenizer};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the readers may take to reach the end of the pipes once the group is gone.
const GRACE: Duration = Duration::from_millis(500);

/// Largest data file read (figures and tables); records past it are not shown.
const DATA_CAP: u64 = 256 * 1024 * 1024;

/// What to run and how.
pub struct Setup<'a> {
    pub exe: &'a Path,
    /// A fresh scratch folder, the program's working directory.
    pub work_dir: &'a Path,
    /// The data file of the protocol (created empty here).
    pub data_file: PathBuf,
    pub timeout: Duration,
    /// The whole environment of the program.
    pub env: &'a [(String, String)],
    pub cells: usize,
}

/// How the program ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    /// Killed by this signal (not by us).
    Signal(i32),
    TimedOut,
}

pub struct Finished {
    pub parsed: Parsed,
    pub exit: Exit,
}

pub fn run(setup: &Setup) -> std::io::Result<Finished> {
    let nonce = super::protocol::nonce();
    std::fs::write(&setup.data_file, b"")?;
    let mut cmd = Command::new(setup.exe);
    cmd.current_dir(setup.work_dir)
        .env_clear()
        .envs(setup.env.iter().map(|(k, v)| (k, v)))
        .env("D2L_EVAL_NONCE", &nonce)
        .env("D2L_EVAL_DATA", &setup.data_file)
        .env("D2L_EVAL_PARENT", std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    group::configure(&mut cmd);
    let mut child = cmd.spawn()?;
    let pid = child.id();
    let _registered = group::Registered::new(pid);

    let collector = Arc::new(Mutex::new(Collector::new(setup.cells)));
    let (done_tx, done_rx) = mpsc::channel();
    let streams: [(Stream, Option<Box<dyn Read + Send>>); 2] = [
        (
            Stream::Stdout,
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ),
        (
            Stream::Stderr,
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ),
    ];
    for (stream, reader) in streams {
        let collector = Arc::clone(&collector);
        let done = done_tx.clone();
        let mut tokenizer = Tokenizer::new(&nonce);
        std::thread::spawn(move || {
            let mut chunk = vec![0u8; 64 * 1024];
            let mut tokens = Vec::new();
            if let Some(mut reader) = reader {
                // Read to the end, whatever the size: the collector keeps what is shown
                // and counts the rest, and the program never meets a closed pipe.
                loop {
                    match reader.read(&mut chunk) {
                        Ok(0) => break,
                        Ok(n) => tokenizer.feed(&chunk[..n], &mut tokens),
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(_) => break,
                    }
                    let mut c = collector.lock().unwrap_or_else(|e| e.into_inner());
                    for token in tokens.drain(..) {
                        c.push(stream, token);
                    }
                }
            }
            tokenizer.finish(&mut tokens);
            let mut c = collector.lock().unwrap_or_else(|e| e.into_inner());
            for token in tokens.drain(..) {
                c.push(stream, token);
            }
            let _ = done.send(());
        });
    }
    drop(done_tx);

    let exit = match group::exited(&mut child, setup.timeout)? {
        Some(status) => exit_of(status),
        None => {
            group::kill(pid);
            let _ = child.kill();
            let _ = child.wait();
            Exit::TimedOut
        }
    };
    // What the cells started must not outlive the section (nor hold its pipes open).
    group::kill(pid);
    let deadline = Instant::now() + GRACE;
    for _ in 0..2 {
        let left = deadline.saturating_duration_since(Instant::now());
        if done_rx.recv_timeout(left).is_err() {
            break; // a process outside the group holds a pipe: abandon its reader
        }
    }
    let collector = {
        let mut c = collector.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::replace(&mut *c, Collector::new(0))
    };
    let data = read_capped(&setup.data_file);
    Ok(Finished {
        parsed: collector.finish(&DataFile::parse(&data)),
        exit,
    })
}

fn read_capped(path: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file.take(DATA_CAP).read_to_end(&mut bytes);
    }
    bytes
}

#[cfg(unix)]
fn exit_of(status: std::process::ExitStatus) -> Exit {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => Exit::Code(code),
        (None, Some(signal)) => Exit::Signal(signal),
        (None, None) => Exit::Code(-1),
    }
}

#[cfg(not(unix))]
fn exit_of(status: std::process::ExitStatus) -> Exit {
    Exit::Code(status.code().unwrap_or(-1))
}

/// Process groups of the running sections, killed when d2lbook is interrupted.
#[cfg(unix)]
mod group {
    use std::io::ErrorKind;
    use std::os::unix::process::CommandExt;
    use std::process::{Child, Command, ExitStatus};
    use std::sync::atomic::{AtomicI32, Ordering};
    use std::sync::{mpsc, Once};
    use std::time::Duration;

    /// The running groups, in slots a signal handler can read without locking.
    static GROUPS: [AtomicI32; 256] = [const { AtomicI32::new(0) }; 256];

    /// Puts the program in a new process group of its own (its id is the program's pid).
    pub fn configure(cmd: &mut Command) {
        install_handlers();
        cmd.process_group(0);
    }

    /// The program's exit status, reaped, once it ends within `timeout`; `None` when it
    /// is still running then. A thread waits for the exit without reaping it (`WNOWAIT`:
    /// the child stays ours to kill), so the end is seen at once rather than at the next
    /// poll (polling every 5 ms cost 2.5 ms a program on average).
    pub fn exited(child: &mut Child, timeout: Duration) -> std::io::Result<Option<ExitStatus>> {
        let pid = child.id() as libc::id_t;
        let (ended, end) = mpsc::channel();
        std::thread::spawn(move || {
            // SAFETY: `siginfo_t` is plain data, valid as zeros; `waitid` writes only
            // into it.
            let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
            loop {
                // SAFETY: as above.
                let waited = unsafe {
                    libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOWAIT)
                };
                // Interrupted by a signal: wait again. Otherwise it ended, or was reaped
                // after a timeout: the wait is over.
                if waited == 0 || std::io::Error::last_os_error().kind() != ErrorKind::Interrupted {
                    break;
                }
            }
            let _ = ended.send(());
        });
        match end.recv_timeout(timeout) {
            Err(mpsc::RecvTimeoutError::Timeout) => Ok(None),
            _ => child.wait().map(Some),
        }
    }

    pub fn kill(pgid: u32) {
        if let Ok(pgid) = i32::try_from(pgid) {
            if pgid > 0 {
                // SAFETY: a plain system call; ESRCH (no such group) is fine.
                unsafe {
                    libc::killpg(pgid, libc::SIGKILL);
                }
            }
        }
    }

    /// A group registered for the signal handler while it runs.
    pub struct Registered(Option<usize>);

    impl Registered {
        pub fn new(pgid: u32) -> Registered {
            let pgid = i32::try_from(pgid).unwrap_or(0);
            let slot = GROUPS.iter().position(|g| {
                g.compare_exchange(0, pgid, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
            });
            Registered(slot)
        }
    }

    impl Drop for Registered {
        fn drop(&mut self) {
            if let Some(slot) = self.0 {
                GROUPS[slot].store(0, Ordering::SeqCst);
            }
        }
    }

    extern "C" fn on_signal(signal: libc::c_int) {
        for group in &GROUPS {
            let pgid = group.load(Ordering::SeqCst);
            if pgid > 0 {
                // SAFETY: `killpg`, `signal` and `raise` are async-signal-safe.
                unsafe {
                    libc::killpg(pgid, libc::SIGKILL);
                }
            }
        }
        // Then die of the signal as if we had no handler.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
        }
    }

    fn install_handlers() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                // SAFETY: the handler only calls async-signal-safe functions.
                unsafe {
                    libc::signal(signal, handler);
                }
            }
        });
    }
}

#[cfg(not(unix))]
mod group {
    use std::process::{Child, ExitStatus};
    use std::time::{Duration, Instant};

    pub fn configure(_: &mut std::process::Command) {}

    /// The program's exit status once it ends within `timeout` (polled); `None` after.
    pub fn exited(child: &mut Child, timeout: Duration) -> std::io::Result<Option<ExitStatus>> {
        let started = Instant::now();
        while started.elapsed() <= timeout {
            if let Some(status) = child.try_wait()? {
                return Ok(Some(status));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(None)
    }
    pub fn kill(_: u32) {}
    pub struct Registered;
    impl Registered {
        pub fn new(_: u32) -> Registered {
            Registered
        }
    }
}
