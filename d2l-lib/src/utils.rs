//! Small helpers of d2l's training loops: a [`Timer`] for benchmarks and an
//! [`Accumulator`] for sums over minibatches.

use std::time::Instant;

/// Records running times, like d2l's `Timer`: it starts when made; each [`Timer::stop`]
/// records the seconds since the last [`Timer::start`].
///
/// ```
/// let mut timer = d2l::Timer::new();
/// let total: u64 = (0..1000).sum();
/// let seconds = timer.stop();
/// assert!(seconds >= 0.0 && total > 0);
/// assert_eq!(timer.times().len(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct Timer {
    times: Vec<f64>,
    started: Instant,
}

impl Default for Timer {
    fn default() -> Self {
        Timer::new()
    }
}

impl Timer {
    /// A timer, started.
    pub fn new() -> Self {
        Timer {
            times: Vec::new(),
            started: Instant::now(),
        }
    }

    /// Starts (or restarts) the timer.
    pub fn start(&mut self) {
        self.started = Instant::now();
    }

    /// Stops the timer, records the time since the last start and returns it in seconds.
    pub fn stop(&mut self) -> f64 {
        let seconds = self.started.elapsed().as_secs_f64();
        self.times.push(seconds);
        seconds
    }

    /// The recorded times, in seconds.
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// The average recorded time (0 if none).
    pub fn avg(&self) -> f64 {
        if self.times.is_empty() {
            0.0
        } else {
            self.sum() / self.times.len() as f64
        }
    }

    /// The sum of the recorded times.
    pub fn sum(&self) -> f64 {
        self.times.iter().sum()
    }

    /// The running sums of the recorded times.
    pub fn cumsum(&self) -> Vec<f64> {
        self.times
            .iter()
            .scan(0.0, |total, t| {
                *total += t;
                Some(*total)
            })
            .collect()
    }
}

/// Sums over `n` variables, like d2l's `Accumulator` (e.g. the summed loss, the number of
/// correct predictions and the number of examples of an epoch).
///
/// ```
/// let mut metric = d2l::Accumulator::new(2);
/// metric.add(&[1.5, 10.0]);
/// metric.add(&[0.5, 10.0]);
/// assert_eq!(metric.get(0) / metric.get(1), 0.1);
/// assert_eq!(metric[1], 20.0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Accumulator {
    data: Vec<f64>,
}

impl Accumulator {
    /// `n` sums, all 0.
    pub fn new(n: usize) -> Self {
        Accumulator { data: vec![0.0; n] }
    }

    /// Adds `values[i]` to sum `i`.
    ///
    /// # Panics
    /// If `values` does not have one value per sum.
    pub fn add(&mut self, values: &[f64]) {
        assert_eq!(
            values.len(),
            self.data.len(),
            "Accumulator::add: {} values for {} sums",
            values.len(),
            self.data.len()
        );
        for (sum, v) in self.data.iter_mut().zip(values) {
            *sum += v;
        }
    }

    /// Sets all sums back to 0.
    pub fn reset(&mut self) {
        self.data.iter_mut().for_each(|v| *v = 0.0);
    }

    /// Sum `i`.
    ///
    /// # Panics
    /// If `i` is out of range.
    pub fn get(&self, i: usize) -> f64 {
        self.data[i]
    }

    /// All sums.
    pub fn data(&self) -> &[f64] {
        &self.data
    }

    /// The number of sums.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether there are no sums.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

impl std::ops::Index<usize> for Accumulator {
    type Output = f64;

    fn index(&self, i: usize) -> &f64 {
        &self.data[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timer_records() {
        let mut t = Timer::new();
        assert_eq!(t.avg(), 0.0);
        std::thread::sleep(std::time::Duration::from_millis(5));
        let a = t.stop();
        t.start();
        let b = t.stop();
        assert!(a >= 0.005, "{a}");
        assert!(b < a);
        assert_eq!(t.times(), &[a, b]);
        assert!((t.sum() - (a + b)).abs() < 1e-12);
        assert!((t.avg() - (a + b) / 2.0).abs() < 1e-12);
        assert_eq!(t.cumsum(), vec![a, a + b]);
    }

    #[test]
    fn accumulator_sums_and_resets() {
        let mut acc = Accumulator::new(3);
        assert_eq!(acc.len(), 3);
        acc.add(&[1.0, 2.0, 3.0]);
        acc.add(&[1.0, 0.5, 0.0]);
        assert_eq!(acc.data(), &[2.0, 2.5, 3.0]);
        assert_eq!(acc.get(1), 2.5);
        assert_eq!(acc[2], 3.0);
        acc.reset();
        assert_eq!(acc.data(), &[0.0; 3]);
        assert!(!acc.is_empty());
    }

    #[test]
    #[should_panic(expected = "2 values for 3 sums")]
    fn accumulator_checks_lengths() {
        Accumulator::new(3).add(&[1.0, 2.0]);
    }
}
