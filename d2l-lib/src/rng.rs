//! Seeded randomness for the book's data and initial weights.
//!
//! candle's CPU device cannot be seeded (`Device::Cpu.set_seed` fails), so random tensors
//! made with `Tensor::randn` change on every run, and with them the book's outputs. This
//! module draws from one process-wide generator of its own instead: SplitMix64 for the
//! bits, Box–Muller for normal samples. It is seeded from the environment variable
//! `D2L_SEED` (a `u64`) if set, else with 0, and [`seed`] reseeds it. The same seed gives
//! the same numbers on every run and machine, whatever the device the tensor lands on
//! (samples are drawn on the CPU and then copied).
//!
//! ```
//! use d2l::prelude::*;
//! d2l::rng::seed(42);
//! let a = d2l::rng::normal((2, 3), 0.0, 1.0, &Device::Cpu)?;
//! d2l::rng::seed(42);
//! let b = d2l::rng::normal((2, 3), 0.0, 1.0, &Device::Cpu)?;
//! assert_eq!(a.to_vec2::<f32>()?, b.to_vec2::<f32>()?);
//! # Ok::<(), d2l::Error>(())
//! ```

use candle_core::{Device, Shape, Tensor};
use std::sync::Mutex;

/// The state of the generator: SplitMix64's counter and a spare normal sample.
struct State {
    counter: u64,
    spare: Option<f64>,
}

impl State {
    fn seeded(seed: u64) -> Self {
        State {
            counter: seed,
            spare: None,
        }
    }

    /// SplitMix64 (Steele, Lea and Flood 2014), as in Java's `SplittableRandom`.
    fn next_u64(&mut self) -> u64 {
        self.counter = self.counter.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.counter;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), 53 random bits.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal, by the Box–Muller transform (two samples per pair of uniforms).
    fn next_normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let u1 = 1.0 - self.next_f64(); // (0, 1]: ln is finite
        let u2 = self.next_f64();
        let r = (-2.0 * u1.ln()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u2;
        self.spare = Some(r * theta.sin());
        r * theta.cos()
    }

    /// Uniform in 0..n (multiply-shift; the bias is below 2^-64 · n).
    fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

/// The seed used when [`seed`] was never called: `D2L_SEED` if set and valid, else 0.
pub fn default_seed() -> u64 {
    std::env::var("D2L_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> R {
    let mut guard = STATE.lock().unwrap_or_else(|e| e.into_inner());
    let state = guard.get_or_insert_with(|| State::seeded(default_seed()));
    f(state)
}

/// Reseeds the generator: what follows is the same for the same seed.
pub fn seed(seed: u64) {
    let mut guard = STATE.lock().unwrap_or_else(|e| e.into_inner());
    *guard = Some(State::seeded(seed));
}

/// The next 64 random bits.
pub fn next_u64() -> u64 {
    with_state(State::next_u64)
}

/// A uniform sample from [0, 1).
pub fn random() -> f64 {
    with_state(State::next_f64)
}

/// A uniform integer from `0..n` (`n` > 0).
///
/// # Panics
/// If `n` is 0.
pub fn below(n: usize) -> usize {
    assert!(n > 0, "d2l::rng::below(0): the range 0..0 is empty");
    with_state(|s| s.below(n as u64) as usize)
}

/// `n` samples from the normal distribution N(`mean`, `std`²).
pub fn normal_vec(n: usize, mean: f32, std: f32) -> Vec<f32> {
    with_state(|s| {
        (0..n)
            .map(|_| (mean as f64 + std as f64 * s.next_normal()) as f32)
            .collect()
    })
}

/// `n` samples from the uniform distribution on [`lo`, `hi`).
pub fn uniform_vec(n: usize, lo: f32, hi: f32) -> Vec<f32> {
    with_state(|s| {
        (0..n)
            .map(|_| (lo as f64 + (hi as f64 - lo as f64) * s.next_f64()) as f32)
            .collect()
    })
}

/// An `f32` tensor of the given shape on `device`, with entries drawn from
/// N(`mean`, `std`²): the seeded replacement for `Tensor::randn`.
pub fn normal<S: Into<Shape>>(
    shape: S,
    mean: f32,
    std: f32,
    device: &Device,
) -> candle_core::Result<Tensor> {
    let shape = shape.into();
    let data = normal_vec(shape.elem_count(), mean, std);
    Tensor::from_vec(data, shape, device)
}

/// An `f32` tensor of the given shape on `device`, with entries drawn uniformly from
/// [`lo`, `hi`): the seeded replacement for `Tensor::rand`.
pub fn uniform<S: Into<Shape>>(
    shape: S,
    lo: f32,
    hi: f32,
    device: &Device,
) -> candle_core::Result<Tensor> {
    let shape = shape.into();
    let data = uniform_vec(shape.elem_count(), lo, hi);
    Tensor::from_vec(data, shape, device)
}

/// Shuffles `items` in place (Fisher–Yates), e.g. the example indices of an epoch.
pub fn shuffle<T>(items: &mut [T]) {
    with_state(|s| {
        for i in (1..items.len()).rev() {
            let j = s.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The global generator is shared by the tests running in parallel: these tests use
    /// their own `State`s, or hold this lock around seed-and-draw sequences.
    pub(crate) static SERIAL: Mutex<()> = Mutex::new(());

    #[test]
    fn splitmix_reference_values() {
        // First outputs of SplitMix64 seeded with 0 (as in the reference implementation).
        let mut s = State::seeded(0);
        assert_eq!(s.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(s.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(s.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn same_seed_same_numbers() {
        let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let dev = Device::Cpu;
        seed(7);
        let a = normal((3, 4), 0.0, 1.0, &dev)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        let u = uniform(5, -1.0, 1.0, &dev)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let mut idx: Vec<usize> = (0..10).collect();
        shuffle(&mut idx);
        seed(7);
        let b = normal((3, 4), 0.0, 1.0, &dev)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        let v = uniform(5, -1.0, 1.0, &dev)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let mut jdx: Vec<usize> = (0..10).collect();
        shuffle(&mut jdx);
        assert_eq!(a, b);
        assert_eq!(u, v);
        assert_eq!(idx, jdx);
        seed(8);
        let c = normal((3, 4), 0.0, 1.0, &dev)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn distributions_look_right() {
        let mut s = State::seeded(1);
        let n = 100_000;
        let xs: Vec<f64> = (0..n).map(|_| s.next_normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.02, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "var {var}");
        let us: Vec<f64> = (0..n).map(|_| s.next_f64()).collect();
        assert!(us.iter().all(|&u| (0.0..1.0).contains(&u)));
        let umean = us.iter().sum::<f64>() / n as f64;
        assert!((umean - 0.5).abs() < 0.01);
        let counts = (0..n).fold([0usize; 3], |mut c, _| {
            c[s.below(3) as usize] += 1;
            c
        });
        assert!(counts.iter().all(|&c| c > n / 3 - 1000), "{counts:?}");
    }

    #[test]
    fn shapes_devices_and_ranges() {
        let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let t = normal((2, 3, 4), 1.0, 0.01, &Device::Cpu).unwrap();
        assert_eq!(t.dims(), &[2, 3, 4]);
        assert_eq!(t.dtype(), candle_core::DType::F32);
        let u = uniform((), 2.0, 3.0, &Device::Cpu).unwrap();
        let x = u.to_scalar::<f32>().unwrap();
        assert!((2.0..3.0).contains(&x));
        let mut empty: [u8; 0] = [];
        shuffle(&mut empty);
        let mut one = [1];
        shuffle(&mut one);
        assert!(below(5) < 5);
        assert!((0.0..1.0).contains(&random()));
    }
}
