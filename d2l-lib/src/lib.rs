//! The library of the book's Rust cells, in the manner of d2l's `d2l` package.
//!
//! Tensors, automatic differentiation and optimisers come from
//! [candle](https://github.com/huggingface/candle) (`candle-core`, `candle-nn`; the `cuda`
//! feature passes through); this crate adds what the chapters need around them:
//!
//! - [`prelude`]: everything a cell uses, in scope in every section;
//! - [`rng`]: seeded random tensors, so that every build shows the same numbers;
//! - [`plot`]: line, scatter and histogram figures as SVG ([`Plot`], [`hist`]);
//! - [`Timer`], [`Accumulator`], [`Animator`]: the helpers of d2l's training loops;
//! - [`try_gpu`], [`try_all_gpus`]: a GPU when there is one, else the CPU;
//! - [`eval`]: how a section's program shows values ([`show!`]) and reports errors;
//! - [`generated`]: the helpers saved from the chapters (`//@save`) by
//!   `d2lbook build lib`.
//!
//! ```
//! use d2l::prelude::*;
//!
//! fn main() -> d2l::Result<()> {
//!     // A tensor, and the gradient of y = 2 xᵀx with respect to x.
//!     let x = Var::from_tensor(&Tensor::arange(0f32, 4., &Device::Cpu)?)?;
//!     let y = (x.as_tensor().sqr()?.sum_all()? * 2.0)?;
//!     let grads = y.backward()?;
//!     let grad = grads.get(&x).expect("x takes part in y");
//!     assert_eq!(grad.to_vec1::<f32>()?, [0., 4., 8., 12.]);
//!
//!     // Seeded random data, and a plot of it.
//!     d2l::rng::seed(0);
//!     let noise = d2l::rng::normal(4, 0.0, 0.1, &Device::Cpu)?;
//!     let figure = Plot::new()
//!         .line(x.as_tensor(), grad, "dy/dx")
//!         .scatter(x.as_tensor(), &noise, "noise")
//!         .xlabel("x")
//!         .build()?;
//!     assert!(figure.svg().contains("dy/dx"));
//!     Ok(())
//! }
//! ```
#![warn(missing_docs)]

mod animator;
mod device;
mod error;
pub mod eval;
pub mod plot;
pub mod rng;
mod utils;

/// Helpers saved from the book's chapters (`//@save`), written by `d2lbook build lib`.
#[allow(missing_docs)]
// Written by `d2lbook build lib` as the chapters have it: left unformatted so that
// `build lib --check` compares it exactly.
#[rustfmt::skip]
pub mod generated;

/// The saved helpers are also at the root, as `d2l::name` (as in d2l).
#[allow(unused_imports)] // empty until chapters save helpers
pub use generated::*;

pub use animator::Animator;
pub use device::{num_gpus, try_all_gpus, try_gpu};
pub use error::{Error, Result};
pub use plot::{hist, Figure, Plot, Scale};
pub use utils::{Accumulator, Timer};

/// What a section's cells have in scope (`use d2l::prelude::*;`): candle's tensors and
/// layers, this crate's helpers and the book's saved helpers.
pub mod prelude {
    pub use candle_core as candle;
    pub use candle_core::{DType, Device, IndexOp, Module, Shape, Tensor, Var, D};
    pub use candle_nn as nn;
    pub use candle_nn::{linear, loss, Linear, Optimizer, VarBuilder, VarMap, SGD};

    pub use crate::eval::{EvcxrDisplay, RichDisplay};
    pub use crate::plot::{hist, Figure, Plot, Scale};
    pub use crate::{num_gpus, rng, try_all_gpus, try_gpu};
    pub use crate::{render, show};
    pub use crate::{Accumulator, Animator, Error, Result, Timer};

    #[allow(unused_imports)] // empty until chapters save helpers
    pub use crate::generated::*;
}
