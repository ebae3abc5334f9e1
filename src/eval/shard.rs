//! Sharded eval: `build eval --shard i/n` runs only its part of the sections, so that CI
//! jobs of a matrix can split a book that outgrows one machine. The plan is computed, not
//! negotiated: every job of the matrix computes the same one from the same inputs (the
//! sections' paths, and the run times of `<output_dir>/eval/timings.json` when the jobs
//! restore the same file), so that no coordinator is needed. A plan that differs between
//! jobs costs time, never correctness: a section no shard ran is run by the final build.

use std::collections::BTreeMap;
use std::path::Path;

/// Which sections a run evaluates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Selection {
    /// `(i, n)`: shard `i` (1-based) of `n`.
    pub shard: Option<(usize, usize)>,
    pub device: Option<Device>,
}

/// Where a section's cells must run: `[eval] gpu` names the sections that need a GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Cpu,
    Gpu,
}

impl Device {
    pub fn name(self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
            Device::Gpu => "gpu",
        }
    }
}

/// A section with Rust cells and the shard it is planned on.
#[derive(Debug, Clone)]
pub struct Planned {
    /// Its index among the book's sections.
    pub section: usize,
    /// Its source path under `src`.
    pub src: String,
    /// How long its cells last ran, if known.
    pub seconds: Option<f64>,
    /// 1-based.
    pub shard: usize,
}

/// `i/n` with `1 <= i <= n`.
pub fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let parsed = text
        .split_once('/')
        .and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
    match parsed {
        Some((i, n)) if i >= 1 && i <= n => Ok((i, n)),
        _ => Err(format!(
            "`{text}` is not a shard: write `I/N` with 1 <= I <= N, such as `2/3`"
        )),
    }
}

/// The shard (1-based) of each section of `sections` (their source paths, with their last
/// known run times in seconds), among `n`: the longest first, each to the shard with the
/// least time so far (ties to the lowest shard); a section without a known time counts
/// one second. Sections are ordered by time, then by a hash of their path, so that the
/// plan does not follow the book's order (which puts long chapters together).
pub fn plan(sections: &[(&str, Option<f64>)], n: usize) -> Vec<usize> {
    let n = n.max(1);
    let mut order: Vec<usize> = (0..sections.len()).collect();
    let weight = |i: usize| sections[i].1.unwrap_or(1.0).max(0.001);
    let hash = |i: usize| crate::digest::hash(&[sections[i].0.as_bytes()]);
    order.sort_by(|&a, &b| {
        weight(b)
            .total_cmp(&weight(a))
            .then_with(|| hash(a).cmp(&hash(b)))
    });
    let mut load = vec![0.0f64; n];
    let mut shard = vec![0; sections.len()];
    for i in order {
        let lightest = (0..n)
            .min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b)))
            .unwrap_or(0);
        load[lightest] += weight(i);
        shard[i] = lightest + 1;
    }
    shard
}

/// The run times of the last runs, by section source path.
pub fn read_timings(file: &Path) -> BTreeMap<String, f64> {
    std::fs::read(file)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Records `ran` (section path, seconds) into the timings file.
pub fn write_timings(file: &Path, ran: &[(String, f64)]) -> std::io::Result<()> {
    if ran.is_empty() {
        return Ok(());
    }
    let mut timings = read_timings(file);
    for (section, seconds) in ran {
        // Rounded: the file is restored by CI caches and read by every shard alike.
        timings.insert(section.clone(), (seconds * 100.0).round() / 100.0);
    }
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = file.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&timings)?)?;
    std::fs::rename(tmp, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_strictly() {
        assert_eq!(parse_shard("2/3"), Ok((2, 3)));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", "-1/2", ""] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_plan_is_stable_balanced_and_covers_every_section() {
        let sections: Vec<(String, Option<f64>)> =
            (0..10).map(|i| (format!("ch/s{i}.md"), None)).collect();
        let view: Vec<(&str, Option<f64>)> =
            sections.iter().map(|(p, t)| (p.as_str(), *t)).collect();
        let plan3 = plan(&view, 3);
        assert_eq!(plan3, plan(&view, 3), "the same inputs give the same plan");
        let mut sizes = [0; 3];
        for s in &plan3 {
            sizes[s - 1] += 1;
        }
        assert_eq!(sizes.iter().sum::<usize>(), 10);
        assert!(sizes.iter().all(|&c| c == 3 || c == 4), "{sizes:?}");
        // Known times balance the load: one long section gets a shard of its own.
        let timed: Vec<(&str, Option<f64>)> = vec![
            ("a.md", Some(100.0)),
            ("b.md", Some(10.0)),
            ("c.md", Some(10.0)),
            ("d.md", Some(10.0)),
        ];
        let p = plan(&timed, 2);
        assert!(p[1..].iter().all(|&s| s != p[0]), "{p:?}");
        // More shards than sections: the rest stay empty.
        assert_eq!(plan(&timed[..1], 3), [1]);
    }
}
