//! The error type of the book's code: one type that any error converts into, so `?` works
//! on candle's errors, I/O errors and the rest inside `fn run() -> d2l::Result<()>`.

use std::error::Error as StdError;
use std::fmt;

/// `Result` with [`Error`] as its default error type (a second parameter picks another).
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Any error, boxed. Every `std::error::Error + Send + Sync + 'static` converts into it
/// with `?`; [`Error::msg`] makes one from a message.
///
/// Like `anyhow::Error`, it does not implement `std::error::Error` itself (that would clash
/// with the blanket `From`), but it dereferences to `dyn std::error::Error`, so
/// `source()` and `downcast_ref()` are there.
///
/// `{}` shows the message; `{:#}` adds the causes that the message does not already
/// contain, separated by `: `.
pub struct Error(Box<dyn StdError + Send + Sync + 'static>);

impl Error {
    /// An error carrying just `message`.
    pub fn msg<M: fmt::Display + fmt::Debug + Send + Sync + 'static>(message: M) -> Self {
        Error(Box::new(Message(message)))
    }
}

impl<E: StdError + Send + Sync + 'static> From<E> for Error {
    fn from(error: E) -> Self {
        Error(Box::new(error))
    }
}

impl From<Error> for Box<dyn StdError + Send + Sync + 'static> {
    fn from(error: Error) -> Self {
        error.0
    }
}

impl std::ops::Deref for Error {
    type Target = dyn StdError + Send + Sync + 'static;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl Error {
    /// The message of the error itself, without the backtrace that candle's errors carry.
    fn message(&self) -> String {
        match self.0.downcast_ref::<candle_core::Error>() {
            Some(e) => candle_message(e),
            None => self.0.to_string(),
        }
    }
}

/// A candle error's message without its backtrace (which reads "disabled backtrace" when
/// `RUST_BACKTRACE=0`, as in book builds).
fn candle_message(error: &candle_core::Error) -> String {
    use candle_core::Error as E;
    match error {
        E::WithBacktrace { inner, .. } => candle_message(inner),
        E::Context { inner, context } => format!("{context}\n{}", candle_message(inner)),
        E::WithPath { inner, path } => format!("path: {path:?} {}", candle_message(inner)),
        other => other.to_string(),
    }
}

/// The backtrace captured with a candle error, if any.
fn candle_backtrace(error: &candle_core::Error) -> Option<&std::backtrace::Backtrace> {
    use candle_core::Error as E;
    match error {
        E::WithBacktrace { backtrace, .. } => Some(backtrace),
        E::Context { inner, .. } | E::WithPath { inner, .. } => candle_backtrace(inner),
        _ => None,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let top = self.message();
        f.write_str(&top)?;
        if f.alternate() {
            let mut shown = top;
            let mut source = self.0.source();
            while let Some(cause) = source {
                let text = cause.to_string();
                if !shown.contains(&text) {
                    write!(f, ": {text}")?;
                    shown.push_str(&text);
                }
                source = cause.source();
            }
        }
        Ok(())
    }
}

/// `{:#}`, then the backtrace of a candle error if one was captured (`RUST_BACKTRACE=1`).
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:#}")?;
        let backtrace = self
            .0
            .downcast_ref::<candle_core::Error>()
            .and_then(candle_backtrace);
        if let Some(bt) = backtrace {
            if bt.status() == std::backtrace::BacktraceStatus::Captured {
                write!(f, "\n\nStack backtrace:\n{bt}")?;
            }
        }
        Ok(())
    }
}

/// The error behind [`Error::msg`].
struct Message<M>(M);

impl<M: fmt::Display> fmt::Display for Message<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<M: fmt::Debug> fmt::Debug for Message<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<M: fmt::Display + fmt::Debug> StdError for Message<M> {}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};

    fn candle_fails() -> Result<Tensor> {
        let a = Tensor::zeros((2, 3), candle_core::DType::F32, &Device::Cpu)?;
        let b = Tensor::zeros((4, 5), candle_core::DType::F32, &Device::Cpu)?;
        Ok(a.matmul(&b)?)
    }

    fn io_fails() -> Result<String> {
        Ok(std::fs::read_to_string("/this/file/does/not/exist")?)
    }

    #[test]
    fn question_mark_converts_candle_errors() {
        let err = candle_fails().unwrap_err();
        assert!(err.downcast_ref::<candle_core::Error>().is_some());
        // The message alone, whatever RUST_BACKTRACE says.
        assert_eq!(
            format!("{err:#}"),
            "shape mismatch in matmul, lhs: [2, 3], rhs: [4, 5]"
        );
        let with_context = Error::from(
            candle_core::Error::Msg("inner".into())
                .bt()
                .context("outer"),
        );
        assert_eq!(with_context.to_string(), "outer\ninner");
    }

    #[test]
    fn question_mark_converts_io_errors() {
        let err = io_fails().unwrap_err();
        let io = err.downcast_ref::<std::io::Error>().expect("an io::Error");
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
        assert!(!format!("{err:?}").is_empty());
    }

    #[test]
    fn messages_and_causes() {
        let err = Error::msg("bad shape");
        assert_eq!(err.to_string(), "bad shape");
        assert_eq!(format!("{err:?}"), "bad shape");

        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("loading failed")
            }
        }
        impl StdError for Outer {
            fn source(&self) -> Option<&(dyn StdError + 'static)> {
                Some(&self.0)
            }
        }
        let err = Error::from(Outer(std::io::Error::other("disk on fire")));
        assert_eq!(err.to_string(), "loading failed");
        assert_eq!(format!("{err:#}"), "loading failed: disk on fire");
        let boxed: Box<dyn StdError + Send + Sync> = err.into();
        assert_eq!(boxed.to_string(), "loading failed");
    }
}
