//! [`Animator`]: collects the metrics of a training run, point by point, and draws them
//! as one figure at the end (d2l animates it live; a book page shows the final state).

use crate::plot::{Figure, Number, Plot, Scale};
use crate::Result;

/// Points of named series added during training, like d2l's `Animator`; [`Animator::figure`]
/// draws them, and `d2l::show!(animator)` (a cell's last expression) shows that figure.
///
/// Series `i` is drawn with format `fmts[i]`, by default d2l's `-`, `m--`, `g-.`, `r:`.
///
/// ```
/// let mut animator = d2l::Animator::new()
///     .xlabel("epoch")
///     .legend(["train loss", "test acc"])
///     .xlim(1.0, 3.0);
/// for epoch in 1..=3 {
///     let loss = 1.0 / epoch as f64;
///     animator.add(epoch, &[loss, f64::NAN]); // NaN: no point for this series
/// }
/// animator.add(3, &[f64::NAN, 0.9]);
/// assert_eq!(animator.series(1), (&[3.0][..], &[0.9][..]));
/// let figure = animator.figure()?;
/// assert!(figure.svg().contains("train loss"));
/// # Ok::<(), d2l::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Animator {
    xlabel: Option<String>,
    ylabel: Option<String>,
    legend: Vec<String>,
    xlim: Option<(f64, f64)>,
    ylim: Option<(f64, f64)>,
    xscale: Scale,
    yscale: Scale,
    fmts: Vec<String>,
    size: Option<(u32, u32)>,
    xs: Vec<Vec<f64>>,
    ys: Vec<Vec<f64>>,
}

impl Default for Animator {
    fn default() -> Self {
        Animator::new()
    }
}

impl Animator {
    /// An animator with no points, d2l's formats and the default figure size.
    pub fn new() -> Self {
        Animator {
            xlabel: None,
            ylabel: None,
            legend: Vec::new(),
            xlim: None,
            ylim: None,
            xscale: Scale::Linear,
            yscale: Scale::Linear,
            fmts: ["-", "m--", "g-.", "r:"].map(String::from).to_vec(),
            size: None,
            xs: Vec::new(),
            ys: Vec::new(),
        }
    }

    /// Sets the label of the x axis.
    pub fn xlabel(mut self, label: impl Into<String>) -> Self {
        self.xlabel = Some(label.into());
        self
    }

    /// Sets the label of the y axis.
    pub fn ylabel(mut self, label: impl Into<String>) -> Self {
        self.ylabel = Some(label.into());
        self
    }

    /// Names the series, in the order of the values given to [`Animator::add`].
    pub fn legend<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.legend = names.into_iter().map(Into::into).collect();
        self
    }

    /// Shows x from `lo` to `hi`.
    pub fn xlim(mut self, lo: f64, hi: f64) -> Self {
        self.xlim = Some((lo, hi));
        self
    }

    /// Shows y from `lo` to `hi`.
    pub fn ylim(mut self, lo: f64, hi: f64) -> Self {
        self.ylim = Some((lo, hi));
        self
    }

    /// A log scale on the x axis.
    pub fn xscale_log(mut self) -> Self {
        self.xscale = Scale::Log;
        self
    }

    /// A log scale on the y axis.
    pub fn yscale_log(mut self) -> Self {
        self.yscale = Scale::Log;
        self
    }

    /// Sets the matplotlib-style formats of the series (see [`Plot::fmt`]).
    pub fn fmts<S: Into<String>>(mut self, fmts: impl IntoIterator<Item = S>) -> Self {
        self.fmts = fmts.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the figure size in pixels.
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = Some((width, height));
        self
    }

    /// Adds the point (`x`, `ys[i]`) to series `i`, for each `i`; a NaN (or other
    /// non-finite) value adds no point to its series.
    pub fn add<X: Number, Y: Number>(&mut self, x: X, ys: &[Y]) {
        let x = x.to_f64();
        if self.ys.len() < ys.len() {
            self.xs.resize(ys.len(), Vec::new());
            self.ys.resize(ys.len(), Vec::new());
        }
        for (i, y) in ys.iter().enumerate() {
            let y = y.to_f64();
            if x.is_finite() && y.is_finite() {
                self.xs[i].push(x);
                self.ys[i].push(y);
            }
        }
    }

    /// The points of series `i` so far: x values and y values (empty if none).
    pub fn series(&self, i: usize) -> (&[f64], &[f64]) {
        match (self.xs.get(i), self.ys.get(i)) {
            (Some(xs), Some(ys)) => (xs, ys),
            _ => (&[], &[]),
        }
    }

    /// The number of series that received values.
    pub fn len(&self) -> usize {
        self.ys.len()
    }

    /// Whether no values were added yet.
    pub fn is_empty(&self) -> bool {
        self.ys.is_empty()
    }

    /// The plot of the points so far, to adjust before building it.
    pub fn plot(&self) -> Plot {
        let mut plot = Plot::new().xscale(self.xscale).yscale(self.yscale);
        for (i, (xs, ys)) in self.xs.iter().zip(&self.ys).enumerate() {
            let label = self.legend.get(i).cloned().unwrap_or_default();
            plot = plot.line(xs, ys, label);
            if let Some(fmt) = self.fmts.get(i) {
                plot = plot.fmt(fmt);
            }
        }
        if let Some(label) = &self.xlabel {
            plot = plot.xlabel(label);
        }
        if let Some(label) = &self.ylabel {
            plot = plot.ylabel(label);
        }
        if let Some((lo, hi)) = self.xlim {
            plot = plot.xlim(lo, hi);
        }
        if let Some((lo, hi)) = self.ylim {
            plot = plot.ylim(lo, hi);
        }
        if let Some((w, h)) = self.size {
            plot = plot.size(w, h);
        }
        plot
    }

    /// Draws the points so far.
    pub fn figure(&self) -> Result<Figure> {
        self.plot().build()
    }

    /// Shows the figure now, as `d2l::show!(animator)` does.
    pub fn show(&self) {
        crate::show!(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_points_and_draws() {
        let mut a = Animator::new().legend(["loss", "acc"]).ylabel("value");
        assert!(a.is_empty());
        a.add(1usize, &[0.5f32, 0.1]);
        a.add(2usize, &[0.25f32, f32::NAN]);
        a.add(3.0, &[0.125]);
        assert_eq!(a.len(), 2);
        assert_eq!(a.series(0), (&[1.0, 2.0, 3.0][..], &[0.5, 0.25, 0.125][..]));
        assert_eq!(a.series(1), (&[1.0][..], &[0.1f32 as f64][..]));
        assert_eq!(a.series(5), (&[][..], &[][..]));
        let svg = a.figure().unwrap().into_svg();
        assert!(svg.contains("loss") && svg.contains("acc") && svg.contains("\nvalue\n"));
        // The second series is magenta and dashed by default.
        assert!(svg.to_lowercase().contains("#bf00bf"));
    }
}
