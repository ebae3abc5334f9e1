//! The eval stage's progress bar: on a terminal only.

use std::time::Duration;

/// A progress bar on a terminal; nothing otherwise.
pub(super) struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    pub(super) fn new(enabled: bool, total: usize) -> Progress {
        use std::io::IsTerminal;
        if !enabled || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{spinner} eval [{pos}/{len}] {wide_msg}")
        {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress(Some(bar))
    }

    pub(super) fn message(&self, text: String) {
        if let Some(b) = &self.0 {
            b.set_message(text);
        }
    }

    pub(super) fn tick(&self) {
        if let Some(b) = &self.0 {
            b.inc(1);
        }
    }

    pub(super) fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
