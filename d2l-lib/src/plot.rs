//! Figures like d2l's `plot` and `hist`: line plots with a legend, scatter plots and
//! histograms, linear or log axes, drawn by plotters' SVG backend into a string.
//!
//! ```
//! use d2l::prelude::*;
//! let xs: Vec<f64> = (0..50).map(|i| i as f64 / 10.0).collect();
//! let ys: Vec<f64> = xs.iter().map(|x| x * x).collect();
//! let fig = Plot::new()
//!     .line(&xs, &ys, "x²")
//!     .line(&xs, xs.iter().map(|x| 2.0 * x - 1.0).collect::<Vec<_>>(), "tangent")
//!     .fmt("m--")
//!     .xlabel("x")
//!     .ylabel("f(x)")
//!     .build()?;
//! assert!(fig.svg().contains("tangent"));
//! # Ok::<(), d2l::Error>(())
//! ```

use crate::{Error, Result};
use candle_core::{DType, Tensor, Var};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use std::fmt;
use std::ops::Range;
use std::path::Path;

/// Default width and height of a figure, in pixels (about d2l's 3.5 × 2.5 inches).
pub const DEFAULT_SIZE: (u32, u32) = (420, 300);

/// Matplotlib's default colour cycle ("tab10"), which d2l's figures use.
const CYCLE: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

const FONT: &str = "sans-serif";

/// Text sizes at the default width, in the SVG's pixels. A page shows a figure at most as
/// wide as its column, which is about 320 px on a 390 px phone: there the tick labels
/// still read at 10 px.
const TICK_PX: f64 = 13.5;
const AXIS_LABEL_PX: f64 = 15.0;
const TITLE_PX: f64 = 17.0;
const LEGEND_PX: f64 = 13.5;

/// The font to ask plotters for to get text of about `px`: its SVG backend writes whole
/// sizes divided by 1.24.
fn font(px: f64) -> (&'static str, f64) {
    (FONT, (px * 1.24).round())
}

/// A finished figure: an SVG document with `width`, `height` and `viewBox`, so that it
/// scales in HTML. Shown by `d2l::show!` (a cell's last expression) as `image/svg+xml`.
#[derive(Clone, PartialEq, Eq)]
pub struct Figure {
    svg: String,
}

impl Figure {
    /// Wraps an SVG document made elsewhere.
    pub fn from_svg(svg: impl Into<String>) -> Self {
        Figure { svg: svg.into() }
    }

    /// The SVG document.
    pub fn svg(&self) -> &str {
        &self.svg
    }

    /// The SVG document, by value.
    pub fn into_svg(self) -> String {
        self.svg
    }

    /// Writes the SVG document to `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        std::fs::write(path, &self.svg)?;
        Ok(())
    }

    /// Shows the figure now, as `d2l::show!(figure)` does (for figures made inside a
    /// loop or a function, where they are not a cell's last expression).
    pub fn show(&self) {
        crate::show!(self);
    }
}

impl fmt::Debug for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Figure({} bytes of SVG)", self.svg.len())
    }
}

/// The scale of an axis.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scale {
    /// Evenly spaced values.
    #[default]
    Linear,
    /// Evenly spaced powers of ten; values ≤ 0 are left out.
    Log,
}

/// Data that a plot takes as coordinates: slices, arrays and vectors of any primitive
/// number type, and tensors (flattened, converted to `f64`).
pub trait Values {
    /// The values as `f64`.
    fn values(self) -> Result<Vec<f64>>;
}

/// Primitive numbers usable as plot data.
pub trait Number: Copy {
    /// The number as `f64` (rounded for 64-bit integers beyond 2⁵³).
    fn to_f64(self) -> f64;
}

macro_rules! numbers {
    ($($t:ty),*) => {$(
        impl Number for $t {
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}
numbers!(f32, f64, i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl<T: Number> Values for &[T] {
    fn values(self) -> Result<Vec<f64>> {
        Ok(self.iter().map(|&v| v.to_f64()).collect())
    }
}

impl<T: Number> Values for &Vec<T> {
    fn values(self) -> Result<Vec<f64>> {
        self.as_slice().values()
    }
}

impl<T: Number> Values for Vec<T> {
    fn values(self) -> Result<Vec<f64>> {
        self.as_slice().values()
    }
}

impl<T: Number, const N: usize> Values for [T; N] {
    fn values(self) -> Result<Vec<f64>> {
        self.as_slice().values()
    }
}

impl<T: Number, const N: usize> Values for &[T; N] {
    fn values(self) -> Result<Vec<f64>> {
        self.as_slice().values()
    }
}

impl Values for &Tensor {
    fn values(self) -> Result<Vec<f64>> {
        Ok(self.flatten_all()?.to_dtype(DType::F64)?.to_vec1::<f64>()?)
    }
}

impl Values for Tensor {
    fn values(self) -> Result<Vec<f64>> {
        (&self).values()
    }
}

impl Values for &Var {
    fn values(self) -> Result<Vec<f64>> {
        self.as_tensor().values()
    }
}

/// How a series is drawn.
#[derive(Clone, Debug, PartialEq)]
enum Kind {
    /// Connected points.
    Line,
    /// Points alone.
    Scatter,
    /// Histogram bars: `xs` are the bin edges (one more than `ys`, the counts).
    Bars,
}

/// The dash pattern of a line.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Stroke {
    Solid,
    Dashed,
    DashDot,
    Dotted,
}

#[derive(Clone, Debug)]
struct Series {
    kind: Kind,
    xs: Vec<f64>,
    ys: Vec<f64>,
    label: String,
    color: Option<RGBColor>,
    dash: Stroke,
    marker: bool,
}

/// A figure under construction: add series, set labels and axes, then [`Plot::build`].
///
/// Series take their colours in turn from matplotlib's default cycle unless
/// [`Plot::fmt`] names one. Without limits, axes span the data plus 5% on each side. The
/// legend lists the series that have a non-empty label and sits in the corner with the
/// fewest points.
#[derive(Clone, Debug)]
pub struct Plot {
    series: Vec<Series>,
    title: Option<String>,
    xlabel: Option<String>,
    ylabel: Option<String>,
    xscale: Scale,
    yscale: Scale,
    xlim: Option<(f64, f64)>,
    ylim: Option<(f64, f64)>,
    legend: Option<bool>,
    size: (u32, u32),
    /// The first problem met while adding data, reported by `build`.
    error: Option<String>,
}

impl Default for Plot {
    fn default() -> Self {
        Plot::new()
    }
}

impl Plot {
    /// An empty plot of the default size.
    pub fn new() -> Self {
        Plot {
            series: Vec::new(),
            title: None,
            xlabel: None,
            ylabel: None,
            xscale: Scale::Linear,
            yscale: Scale::Linear,
            xlim: None,
            ylim: None,
            legend: None,
            size: DEFAULT_SIZE,
            error: None,
        }
    }

    fn fail(&mut self, message: String) {
        self.error.get_or_insert(message);
    }

    fn add_xy(mut self, kind: Kind, xs: impl Values, ys: impl Values, label: String) -> Self {
        match (xs.values(), ys.values()) {
            (Ok(xs), Ok(ys)) if xs.len() == ys.len() => self.series.push(Series {
                marker: kind == Kind::Scatter,
                kind,
                xs,
                ys,
                label,
                color: None,
                dash: Stroke::Solid,
            }),
            (Ok(xs), Ok(ys)) => self.fail(format!(
                "series {label:?}: {} x values but {} y values",
                xs.len(),
                ys.len()
            )),
            (Err(e), _) | (_, Err(e)) => self.fail(format!("series {label:?}: {e}")),
        }
        self
    }

    /// Adds a line through the points (`xs[i]`, `ys[i]`). Non-finite values break it.
    pub fn line(self, xs: impl Values, ys: impl Values, label: impl Into<String>) -> Self {
        self.add_xy(Kind::Line, xs, ys, label.into())
    }

    /// Adds a line through (i, `ys[i]`), like matplotlib's `plot(y)`.
    pub fn line_y(self, ys: impl Values, label: impl Into<String>) -> Self {
        match ys.values() {
            Ok(ys) => {
                let xs: Vec<f64> = (0..ys.len()).map(|i| i as f64).collect();
                self.add_xy(Kind::Line, xs, ys, label.into())
            }
            Err(e) => {
                let mut plot = self;
                plot.fail(e.to_string());
                plot
            }
        }
    }

    /// Adds the points (`xs[i]`, `ys[i]`) as dots.
    pub fn scatter(self, xs: impl Values, ys: impl Values, label: impl Into<String>) -> Self {
        self.add_xy(Kind::Scatter, xs, ys, label.into())
    }

    /// Adds a histogram of `values` with `bins` equal bins between their least and
    /// greatest finite value.
    pub fn hist(mut self, values: impl Values, bins: usize, label: impl Into<String>) -> Self {
        let label = label.into();
        let values = match values.values() {
            Ok(v) => v,
            Err(e) => {
                self.fail(format!("histogram {label:?}: {e}"));
                return self;
            }
        };
        if bins == 0 {
            self.fail(format!("histogram {label:?}: 0 bins"));
            return self;
        }
        let (edges, counts) = histogram(&values, bins);
        self.series.push(Series {
            kind: Kind::Bars,
            xs: edges,
            ys: counts,
            label,
            color: None,
            dash: Stroke::Solid,
            marker: false,
        });
        self
    }

    /// Styles the last series added with a matplotlib format string such as `"m--"`: a
    /// colour letter (`b g r c m y k w`), a line style (`-` solid, `--` dashed, `-.`
    /// dash-dot, `:` dotted) and a marker (`o . x + s ^ *` draw dots at the points; with a
    /// marker and no line style, a line series shows dots only).
    pub fn fmt(mut self, format: &str) -> Self {
        if self.series.is_empty() {
            self.fail(format!("fmt({format:?}) before any series"));
            return self;
        }
        let (dash, rest) = split_dash(format);
        self.apply_fmt(&rest, dash);
        self
    }

    fn apply_fmt(&mut self, chars: &str, dash: Option<Stroke>) {
        let mut marker = false;
        let mut color = None;
        let mut unknown = Vec::new();
        for c in chars.chars() {
            match c {
                'b' => color = Some(RGBColor(0, 0, 255)),
                'g' => color = Some(RGBColor(0, 128, 0)),
                'r' => color = Some(RGBColor(255, 0, 0)),
                'c' => color = Some(RGBColor(0, 191, 191)),
                'm' => color = Some(RGBColor(191, 0, 191)),
                'y' => color = Some(RGBColor(191, 191, 0)),
                'k' => color = Some(RGBColor(0, 0, 0)),
                'w' => color = Some(RGBColor(255, 255, 255)),
                'o' | '.' | 'x' | '+' | 's' | '^' | '*' => marker = true,
                c => unknown.push(c),
            }
        }
        if !unknown.is_empty() {
            let chars: String = unknown.into_iter().collect();
            self.fail(format!("fmt: unknown format characters {chars:?}"));
            return;
        }
        let series = self.series.last_mut().expect("checked by fmt");
        if let Some(c) = color {
            series.color = Some(c);
        }
        if let Some(d) = dash {
            series.dash = d;
        }
        if series.kind != Kind::Bars {
            series.marker = marker || series.kind == Kind::Scatter;
            if marker && dash.is_none() && series.kind == Kind::Line {
                series.kind = Kind::Scatter;
            }
        }
    }

    /// Sets the title above the plot.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
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

    /// Sets the scale of the x axis.
    pub fn xscale(mut self, scale: Scale) -> Self {
        self.xscale = scale;
        self
    }

    /// Sets the scale of the y axis.
    pub fn yscale(mut self, scale: Scale) -> Self {
        self.yscale = scale;
        self
    }

    /// A log scale on the x axis.
    pub fn xscale_log(self) -> Self {
        self.xscale(Scale::Log)
    }

    /// A log scale on the y axis.
    pub fn yscale_log(self) -> Self {
        self.yscale(Scale::Log)
    }

    /// Shows x from `lo` to `hi`; what lies outside is clipped.
    pub fn xlim(mut self, lo: f64, hi: f64) -> Self {
        self.xlim = Some((lo, hi));
        self
    }

    /// Shows y from `lo` to `hi`; what lies outside is clipped.
    pub fn ylim(mut self, lo: f64, hi: f64) -> Self {
        self.ylim = Some((lo, hi));
        self
    }

    /// Shows (`true`) or hides the legend; by default it is shown when a series has a
    /// label.
    pub fn legend(mut self, show: bool) -> Self {
        self.legend = Some(show);
        self
    }

    /// Sets the size in pixels (the default is [`DEFAULT_SIZE`]).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width.max(50), height.max(50));
        self
    }

    /// Draws the figure: an SVG with `role="img"` and an `aria-label` naming it ("Plot:
    /// loss against epoch"), its text sized to stay readable where a phone shrinks it.
    /// Fails if some data could not be read (a tensor that does not
    /// convert, x and y of different lengths), if a limit is empty or not positive on a
    /// log axis, or if drawing fails.
    pub fn build(&self) -> Result<Figure> {
        if let Some(e) = &self.error {
            return Err(Error::msg(e.clone()));
        }
        let x_axis = self.axis(true)?;
        let y_axis = self.axis(false)?;
        let svg = self.draw(x_axis, y_axis)?;
        Ok(Figure { svg })
    }

    /// The visible range of one axis, in axis space (log10 of the values on a log axis).
    fn axis(&self, is_x: bool) -> Result<Axis> {
        let (scale, lim, name) = if is_x {
            (self.xscale, self.xlim, "x")
        } else {
            (self.yscale, self.ylim, "y")
        };
        let log = scale == Scale::Log;
        if let Some((lo, hi)) = lim {
            if !(lo.is_finite() && hi.is_finite() && lo != hi) || (log && (lo <= 0.0 || hi <= 0.0))
            {
                return Err(Error::msg(format!(
                    "{name}lim({lo}, {hi}) is not a valid range"
                )));
            }
            let (lo, hi) = (to_axis(lo, log), to_axis(hi, log));
            return Ok(Axis { lo, hi, log });
        }
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        let mut bars = false;
        for s in &self.series {
            let values: Box<dyn Iterator<Item = f64> + '_> = match (&s.kind, is_x) {
                (Kind::Bars, false) => {
                    bars = true;
                    Box::new(
                        s.ys.iter()
                            .copied()
                            .chain(if log { None } else { Some(0.0) }),
                    )
                }
                (_, true) => Box::new(s.xs.iter().copied()),
                (_, false) => Box::new(s.ys.iter().copied()),
            };
            for v in values.map(|v| to_axis(v, log)).filter(|v| v.is_finite()) {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        if lo > hi {
            return Ok(Axis {
                lo: 0.0,
                hi: 1.0,
                log,
            });
        }
        if lo == hi {
            let pad = if log { 0.5 } else { (lo.abs() * 0.1).max(0.5) };
            return Ok(Axis {
                lo: lo - pad,
                hi: hi + pad,
                log,
            });
        }
        let pad = 0.05 * (hi - lo);
        let sticky_zero = bars && !log && lo == 0.0;
        Ok(Axis {
            lo: if sticky_zero { 0.0 } else { lo - pad },
            hi: hi + pad,
            log,
        })
    }

    fn draw(&self, x: Axis, y: Axis) -> Result<String> {
        let (width, height) = self.size;
        // A wider figure is shrunk more to fit a phone: its text grows with it, up to half
        // as large again (beyond that it would be too large on a desktop).
        let scale = (width as f64 / DEFAULT_SIZE.0 as f64).clamp(1.0, 1.5);
        let tick_px = TICK_PX * scale;
        let label_px = AXIS_LABEL_PX * scale;
        let x_count = x_label_count(width, tick_px);
        let y_count = y_label_count(height, tick_px);
        let x_ticks = x.ticks(x_count);
        let y_ticks = y.ticks(y_count);
        let x_fmt = x.formatter(&x_ticks);
        let y_fmt = y.formatter(&y_ticks);
        let widest_y = y_ticks
            .iter()
            .map(|v| y_fmt(v).chars().count())
            .max()
            .unwrap_or(1);
        // (A digit of a sans-serif font is about 0.6 em wide.)
        let label_area = |has: bool| if has { label_px * 1.3 } else { 0.0 };
        let y_area = (10.0 + widest_y as f64 * tick_px * 0.6 + label_area(self.ylabel.is_some()))
            .round() as u32;
        let x_area = (tick_px * 1.7 + label_area(self.xlabel.is_some())).round() as u32;
        let clip = Clip {
            x0: x.lo.min(x.hi),
            x1: x.lo.max(x.hi),
            y0: y.lo.min(y.hi),
            y1: y.lo.max(y.hi),
        };
        let legend_corner = self.legend_corner(&x, &y);

        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
            root.fill(&WHITE)?;
            let mut builder = ChartBuilder::on(&root);
            builder
                .margin_top(if self.title.is_some() { 4 } else { 10 })
                .margin_right(14)
                .margin_left(6)
                .margin_bottom(4)
                .x_label_area_size(x_area)
                .y_label_area_size(y_area);
            if let Some(title) = &self.title {
                builder.caption(title, font(TITLE_PX * scale));
            }
            let mut chart = builder.build_cartesian_2d(x.clone(), y.clone())?;
            let mut mesh = chart.configure_mesh();
            mesh.x_labels(x_count)
                .y_labels(y_count)
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&y_fmt)
                .max_light_lines(0)
                .bold_line_style(BLACK.mix(0.12))
                .axis_style(BLACK.mix(0.8))
                .label_style(font(tick_px))
                .axis_desc_style(font(label_px));
            if let Some(label) = &self.xlabel {
                mesh.x_desc(label);
            }
            if let Some(label) = &self.ylabel {
                mesh.y_desc(label);
            }
            mesh.draw()?;

            let mut labelled = false;
            for (i, s) in self.series.iter().enumerate() {
                let color = s.color.unwrap_or(CYCLE[i % CYCLE.len()]);
                let anno = match s.kind {
                    Kind::Line => {
                        if s.marker {
                            let points = clip.points(&s.xs, &s.ys, x.log, y.log);
                            chart.draw_series(
                                points
                                    .into_iter()
                                    .map(|p| Circle::new(p, 3, color.filled())),
                            )?;
                        }
                        let lines = clip.polylines(&s.xs, &s.ys, x.log, y.log);
                        let style = color.stroke_width(2);
                        let anno =
                            match s.dash {
                                Stroke::Solid => chart.draw_series(
                                    lines.iter().map(|l| PathElement::new(l.clone(), style)),
                                )?,
                                dash => {
                                    let (on, off) = dash_pattern(dash);
                                    chart.draw_series(lines.iter().map(|l| {
                                        DashedPathElement::new(l.clone(), on, off, style)
                                    }))?
                                }
                            };
                        let dash = s.dash;
                        anno.legend(move |(lx, ly)| -> DynElement<'static, _, _> {
                            let pts = vec![(lx, ly), (lx + 20, ly)];
                            match dash {
                                Stroke::Solid => PathElement::new(pts, style).into_dyn(),
                                dash => {
                                    let (on, off) = dash_pattern(dash);
                                    DashedPathElement::new(pts, on, off, style).into_dyn()
                                }
                            }
                        })
                    }
                    Kind::Scatter => {
                        let points = clip.points(&s.xs, &s.ys, x.log, y.log);
                        chart
                            .draw_series(
                                points
                                    .into_iter()
                                    .map(|p| Circle::new(p, 3, color.filled())),
                            )?
                            .legend(move |(lx, ly)| Circle::new((lx + 10, ly), 3, color.filled()))
                    }
                    Kind::Bars => {
                        let bars = clip.bars(&s.xs, &s.ys, x.log, y.log);
                        let fill = color.mix(0.8).filled();
                        chart
                            .draw_series(bars.iter().map(|&(a, b)| Rectangle::new([a, b], fill)))?
                            .legend(move |(lx, ly)| {
                                Rectangle::new([(lx + 2, ly - 5), (lx + 18, ly + 5)], fill)
                            })
                    }
                };
                if !s.label.is_empty() {
                    anno.label(s.label.clone());
                    labelled = true;
                }
                if s.kind == Kind::Bars {
                    // White edges between the bars, as matplotlib draws them.
                    let bars = clip.bars(&s.xs, &s.ys, x.log, y.log);
                    chart.draw_series(
                        bars.iter()
                            .map(|&(a, b)| Rectangle::new([a, b], WHITE.stroke_width(1))),
                    )?;
                }
            }
            if self.legend.unwrap_or(labelled) && labelled {
                chart
                    .configure_series_labels()
                    .position(legend_corner)
                    .legend_area_size(26)
                    .margin(6)
                    .label_font(font(LEGEND_PX * scale))
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK.mix(0.25))
                    .draw()?;
            }
            root.present()?;
        }
        // Named for screen readers, which otherwise read out every tick label.
        let named = format!(
            "<svg role=\"img\" aria-label=\"{}\" ",
            escape_xml(&self.description())
        );
        Ok(svg.replacen("<svg ", &named, 1))
    }

    /// What the figure shows, in words: "Plot: " and its title, else its y label against
    /// its x label, else its series' labels.
    fn description(&self) -> String {
        let labels: Vec<&str> = self
            .series
            .iter()
            .map(|s| s.label.as_str())
            .filter(|l| !l.is_empty())
            .collect();
        let what = match (&self.title, &self.ylabel, &self.xlabel) {
            (Some(title), _, _) => title.clone(),
            (None, Some(y), Some(x)) => format!("{y} against {x}"),
            (None, Some(label), None) | (None, None, Some(label)) => label.clone(),
            (None, None, None) => labels.join(", "),
        };
        if what.is_empty() {
            "Plot".to_string()
        } else {
            format!("Plot: {what}")
        }
    }

    /// The corner of the plotting area with the fewest data points under it.
    fn legend_corner(&self, x: &Axis, y: &Axis) -> SeriesLabelPosition {
        let mut counts = [0usize; 4]; // upper right, upper left, lower right, lower left
        for s in &self.series {
            // (For bars, the left edges pair with the heights.)
            let (xs, ys) = (&s.xs, &s.ys);
            for (&px, &py) in xs.iter().zip(ys) {
                let fx = x.fraction(to_axis(px, x.log));
                let fy = y.fraction(to_axis(py, y.log));
                if !(fx.is_finite() && fy.is_finite()) {
                    continue;
                }
                let left = fx < 0.45;
                let right = fx > 0.55;
                let upper = fy > 0.6;
                let lower = fy < 0.4;
                if upper && right {
                    counts[0] += 1;
                }
                if upper && left {
                    counts[1] += 1;
                }
                if lower && right {
                    counts[2] += 1;
                }
                if lower && left {
                    counts[3] += 1;
                }
            }
        }
        let best = (0..4).min_by_key(|&i| counts[i]).unwrap_or(0);
        [
            SeriesLabelPosition::UpperRight,
            SeriesLabelPosition::UpperLeft,
            SeriesLabelPosition::LowerRight,
            SeriesLabelPosition::LowerLeft,
        ][best]
            .clone()
    }
}

/// The line style of a format string, and the rest of it.
fn split_dash(format: &str) -> (Option<Stroke>, String) {
    for (pattern, style) in [
        ("--", Stroke::Dashed),
        ("-.", Stroke::DashDot),
        ("-", Stroke::Solid),
        (":", Stroke::Dotted),
    ] {
        if let Some(i) = format.find(pattern) {
            let mut rest = format.to_string();
            rest.replace_range(i..i + pattern.len(), "");
            return (Some(style), rest);
        }
    }
    (None, format.to_string())
}

/// A histogram of the finite `values`: the `bins + 1` edges and the `bins` counts.
fn histogram(values: &[f64], bins: usize) -> (Vec<f64>, Vec<f64>) {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if finite.is_empty() {
        (0.0, 1.0)
    } else if lo == hi {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    };
    let width = (hi - lo) / bins as f64;
    let edges = (0..=bins).map(|i| lo + width * i as f64).collect();
    let mut counts = vec![0.0; bins];
    for v in finite {
        let i = (((v - lo) / width) as usize).min(bins - 1);
        counts[i] += 1.0;
    }
    (edges, counts)
}

/// Draws a histogram of `values` in `bins` bins, labelled `label`.
///
/// ```
/// let fig = d2l::plot::hist(vec![1.0, 2.0, 2.5, 3.0], 3, "values")?;
/// assert!(fig.svg().contains("values"));
/// # Ok::<(), d2l::Error>(())
/// ```
pub fn hist(values: impl Values, bins: usize, label: impl Into<String>) -> Result<Figure> {
    Plot::new().hist(values, bins, label).build()
}

fn to_axis(v: f64, log: bool) -> f64 {
    if log {
        if v > 0.0 {
            v.log10()
        } else {
            f64::NAN
        }
    } else {
        v
    }
}

fn dash_pattern(dash: Stroke) -> (i32, i32) {
    match dash {
        Stroke::Solid => (1, 0),
        Stroke::Dashed => (7, 4),
        Stroke::DashDot => (10, 3),
        Stroke::Dotted => (2, 3),
    }
}

/// About as many x ticks as labels of four or five digits fit side by side.
fn x_label_count(width: u32, tick_px: f64) -> usize {
    (width as f64 / (tick_px * 4.4)).clamp(3.0, 12.0) as usize
}

fn y_label_count(height: u32, tick_px: f64) -> usize {
    (height as f64 / (tick_px * 3.3)).clamp(3.0, 12.0) as usize
}

fn escape_xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One axis, linear in "axis space": the values themselves, or their log10 on a log axis.
#[derive(Clone, Debug)]
struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
}

impl Axis {
    /// Where `v` (in axis space) lies between `lo` (0) and `hi` (1).
    fn fraction(&self, v: f64) -> f64 {
        (v - self.lo) / (self.hi - self.lo)
    }

    /// At most about `n` tick positions, in axis space.
    fn ticks(&self, n: usize) -> Vec<f64> {
        let (lo, hi) = (self.lo.min(self.hi), self.lo.max(self.hi));
        if n == 0 {
            return Vec::new();
        }
        if !self.log {
            return nice_ticks(lo, hi, n);
        }
        // Powers of ten, thinned to fit; else 1-2-5 steps; else any digit; else linear.
        let (a, b) = (lo.ceil() as i64, hi.floor() as i64);
        if b - a >= 1 {
            let every = ((b - a + 1) as usize).div_ceil(n).max(1) as i64;
            return (a..=b)
                .filter(|k| (k - a) % every == 0)
                .map(|k| k as f64)
                .collect();
        }
        let mut ticks = Vec::new();
        for k in (lo.floor() as i64)..=(hi.ceil() as i64) {
            for m in [1.0, 2.0, 5.0] {
                let v = (m * 10f64.powi(k as i32)).log10();
                if v >= lo - 1e-12 && v <= hi + 1e-12 {
                    ticks.push(v);
                }
            }
        }
        if ticks.len() >= 3 && ticks.len() <= n + 1 {
            return ticks;
        }
        // Less than a decade: evenly spaced values, drawn at their logarithms.
        nice_ticks(10f64.powf(lo), 10f64.powf(hi), n)
            .into_iter()
            .filter(|&v| v > 0.0)
            .map(f64::log10)
            .collect()
    }

    /// Formats the tick labels of `ticks` (in axis space).
    fn formatter(&self, ticks: &[f64]) -> impl Fn(&f64) -> String {
        let log = self.log;
        // On a log axis: powers of ten as 10ⁿ if all ticks are such, else plain numbers.
        let decades = log && ticks.iter().all(|t| (t - t.round()).abs() < 1e-9);
        let values: Vec<f64> = ticks
            .iter()
            .map(|&t| if log { 10f64.powf(t) } else { t })
            .collect();
        let step = values
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(f64::INFINITY, f64::min);
        let step = if step.is_finite() && step > 0.0 {
            step
        } else {
            1.0
        };
        let magnitude = values.iter().map(|v| v.abs()).fold(0.0, f64::max);
        move |&v| {
            if decades {
                format!("10{}", superscript(v.round() as i64))
            } else if log {
                minus_signs(format_number(10f64.powf(v), step, magnitude))
            } else {
                minus_signs(format_number(v, step, magnitude))
            }
        }
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let f = self.fraction(*value);
        let f = if f.is_finite() {
            f.clamp(-4.0, 5.0)
        } else {
            0.0
        };
        (limit.0 as f64 + f * (limit.1 - limit.0) as f64).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        self.ticks(hint.max_num_points())
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// Ticks at multiples of a 1-2-2.5-5 step, at most about `n` of them, within [lo, hi].
fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if hi <= lo || !lo.is_finite() || !hi.is_finite() || n == 0 {
        return Vec::new();
    }
    let raw = (hi - lo) / n.max(1) as f64;
    // The step is `m` tenths of 10^e; ticks are k·m·10^(e-1), computed so that
    // 0.6 is 6/10 and not 3·0.2.
    let e = raw.log10().floor() as i32;
    let m = [10i64, 20, 25, 50, 100]
        .into_iter()
        .find(|&m| m as f64 * 10f64.powi(e - 1) >= raw * (1.0 - 1e-9))
        .unwrap_or(100);
    let value = |units: i64| {
        if e - 1 < 0 {
            units as f64 / 10f64.powi(1 - e)
        } else {
            units as f64 * 10f64.powi(e - 1)
        }
    };
    let step = value(m);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|k| value(k * m) + 0.0).collect()
}

/// `v` with enough decimals to tell ticks `step` apart, trailing zeros dropped;
/// scientific notation for very large or very small magnitudes.
fn format_number(v: f64, step: f64, magnitude: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    if !(1e-4..1e6).contains(&magnitude) {
        let s = format!("{v:.3e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = trim_zeros(mantissa);
        return format!("{mantissa}e{exponent}");
    }
    let decimals = (-(step.log10().floor()) as i64 + 1).clamp(0, 10) as usize;
    trim_zeros(&format!("{v:.decimals$}"))
}

/// A negative number is typeset with a minus sign (U+2212), as wide as a plus and at its
/// height, not with a hyphen.
fn minus_signs(number: String) -> String {
    number.replace('-', "\u{2212}")
}

fn trim_zeros(s: &str) -> String {
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    };
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

fn superscript(k: i64) -> String {
    k.to_string()
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            '9' => '⁹',
            c => c,
        })
        .collect()
}

/// The visible box, in axis space; clips what is drawn to it.
struct Clip {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Clip {
    fn contains(&self, (x, y): (f64, f64)) -> bool {
        x >= self.x0 && x <= self.x1 && y >= self.y0 && y <= self.y1
    }

    /// The visible points, in axis space.
    fn points(&self, xs: &[f64], ys: &[f64], xlog: bool, ylog: bool) -> Vec<(f64, f64)> {
        xs.iter()
            .zip(ys)
            .map(|(&x, &y)| (to_axis(x, xlog), to_axis(y, ylog)))
            .filter(|&(x, y)| x.is_finite() && y.is_finite() && self.contains((x, y)))
            .collect()
    }

    /// The visible pieces of the line through the points, in axis space: broken at
    /// non-finite points and where it leaves the box.
    fn polylines(&self, xs: &[f64], ys: &[f64], xlog: bool, ylog: bool) -> Vec<Vec<(f64, f64)>> {
        let mut lines: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut current: Vec<(f64, f64)> = Vec::new();
        let mut prev: Option<(f64, f64)> = None;
        for (&x, &y) in xs.iter().zip(ys) {
            let p = (to_axis(x, xlog), to_axis(y, ylog));
            if !(p.0.is_finite() && p.1.is_finite()) {
                prev = None;
                continue;
            }
            match prev {
                None if self.contains(p) => {
                    if current.len() > 1 {
                        lines.push(std::mem::take(&mut current));
                    }
                    current = vec![p];
                }
                None => {}
                Some(q) => match self.segment(q, p) {
                    Some((a, b)) => {
                        if current.last() != Some(&a) {
                            if current.len() > 1 {
                                lines.push(std::mem::take(&mut current));
                            }
                            current = vec![a];
                        }
                        current.push(b);
                    }
                    None => {
                        if current.len() > 1 {
                            lines.push(std::mem::take(&mut current));
                        }
                        current.clear();
                    }
                },
            }
            prev = Some(p);
        }
        if current.len() > 1 {
            lines.push(current);
        }
        lines
    }

    /// The part of the segment p–q inside the box (Liang–Barsky).
    fn segment(&self, p: (f64, f64), q: (f64, f64)) -> Option<((f64, f64), (f64, f64))> {
        let (dx, dy) = (q.0 - p.0, q.1 - p.1);
        let mut t0: f64 = 0.0;
        let mut t1: f64 = 1.0;
        for (den, num) in [
            (-dx, p.0 - self.x0),
            (dx, self.x1 - p.0),
            (-dy, p.1 - self.y0),
            (dy, self.y1 - p.1),
        ] {
            if den == 0.0 {
                if num < 0.0 {
                    return None;
                }
            } else {
                let t = num / den;
                if den < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
            }
        }
        if t0 > t1 {
            return None;
        }
        let at = |t: f64| {
            if t == 0.0 {
                p
            } else if t == 1.0 {
                q
            } else {
                (p.0 + t * dx, p.1 + t * dy)
            }
        };
        Some((at(t0), at(t1)))
    }

    /// The visible parts of histogram bars (edges `xs`, heights `ys`), as corners.
    fn bars(
        &self,
        xs: &[f64],
        ys: &[f64],
        xlog: bool,
        ylog: bool,
    ) -> Vec<((f64, f64), (f64, f64))> {
        let base = if ylog { self.y0 } else { 0.0 };
        xs.windows(2)
            .zip(ys)
            .filter_map(|(edge, &h)| {
                let (a, b) = (to_axis(edge[0], xlog), to_axis(edge[1], xlog));
                let top = to_axis(h, ylog);
                if !(a.is_finite() && b.is_finite() && top.is_finite()) || h == 0.0 {
                    return None;
                }
                let (a, b) = (a.max(self.x0), b.min(self.x1));
                let (lo, hi) = (base.min(top).max(self.y0), base.max(top).min(self.y1));
                (a < b && lo < hi).then_some(((a, lo), (b, hi)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_plot_has_labels_legend_and_size() {
        let xs = [0.0, 1.0, 2.0, 3.0];
        let fig = Plot::new()
            .line(xs, [0.0, 1.0, 4.0, 9.0], "squares")
            .line(xs, vec![0i32, 1, 2, 3], "identity & more")
            .fmt("m--")
            .xlabel("epoch")
            .ylabel("loss")
            .title("Training")
            .build()
            .unwrap();
        let svg = fig.svg();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.contains(r#"aria-label="Plot: Training""#));
        assert!(svg.contains(r#"width="420""#) && svg.contains(r#"height="300""#));
        assert!(svg.contains(r#"viewBox="0 0 420 300""#));
        assert!(svg.contains("squares"));
        assert!(svg.contains("identity &amp; more"));
        assert!(svg.contains("\nepoch\n") && svg.contains("\nloss\n"));
        assert!(svg.contains("\nTraining\n"));
        assert!(svg.contains(r#"font-family="sans-serif""#));
        assert!(svg.contains("#BF00BF") || svg.to_lowercase().contains("#bf00bf"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    /// The font sizes of the SVG's texts, in its pixels.
    fn font_sizes(svg: &str) -> Vec<f64> {
        svg.split("font-size=\"")
            .skip(1)
            .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
            .collect()
    }

    #[test]
    fn plots_are_named_for_screen_readers() {
        let xs = [0.0, 1.0, 2.0];
        let named = |plot: Plot| {
            let svg = plot.build().unwrap().into_svg();
            let start = &svg[..svg.find('>').unwrap()];
            assert!(
                start.starts_with("<svg role=\"img\" aria-label=\""),
                "{start}"
            );
            start
                .split("aria-label=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_string()
        };
        let plot = Plot::new().line(xs, xs, "train loss");
        assert_eq!(named(plot.clone()), "Plot: train loss");
        let plot = plot.xlabel("epoch").ylabel("loss");
        assert_eq!(named(plot.clone()), "Plot: loss against epoch");
        assert_eq!(
            named(plot.title("Loss & \"accuracy\"")),
            "Plot: Loss &amp; &quot;accuracy&quot;"
        );
        assert_eq!(named(Plot::new()), "Plot");
    }

    #[test]
    fn negative_ticks_have_minus_signs() {
        let fig = Plot::new()
            .line([-3.0, 0.0, 3.0], [-1e-5, 0.0, 2e-5], "")
            .build()
            .unwrap();
        let svg = fig.svg();
        // plotters writes each text on a line of its own.
        let texts: Vec<&str> = svg.lines().filter(|l| !l.starts_with('<')).collect();
        assert!(
            texts.contains(&"\u{2212}2") && texts.contains(&"2"),
            "{texts:?}"
        );
        assert!(texts.iter().any(|t| t.contains("e\u{2212}5")), "{texts:?}");
        assert!(texts.iter().all(|t| !t.contains('-')), "{texts:?}");
    }

    #[test]
    fn text_stays_readable_when_a_phone_shrinks_the_figure() {
        // At the default width the smallest text is 13.5 px or a little more: 10 px when a
        // 390 px phone shows the figure about 310 px wide.
        let plot = Plot::new()
            .line([0.0, 1.0], [0.0, 1.0], "a")
            .xlabel("x")
            .ylabel("y");
        let sizes = font_sizes(plot.build().unwrap().svg());
        assert!(sizes.len() > 8, "{sizes:?}");
        let smallest = sizes.iter().copied().fold(f64::INFINITY, f64::min);
        assert!((13.5..13.9).contains(&smallest), "{sizes:?}");
        // A figure half as wide again shrinks more: its text grows with it.
        let wide = font_sizes(plot.size(630, 300).build().unwrap().svg());
        let widest = wide.iter().copied().fold(f64::INFINITY, f64::min);
        assert!((20.0..20.5).contains(&widest), "{wide:?}");
    }

    #[test]
    fn log_axis_ticks_are_powers_of_ten() {
        let xs: Vec<f64> = (1..=50).map(|i| i as f64).collect();
        let ys: Vec<f64> = xs.iter().map(|x| 10f64.powf(-x / 10.0)).collect();
        let fig = Plot::new()
            .line(&xs, &ys, "")
            .yscale_log()
            .xlabel("x")
            .size(300, 200)
            .build()
            .unwrap();
        assert!(fig.svg().contains("10⁻¹"), "{}", fig.svg());
        assert!(fig.svg().contains(r#"viewBox="0 0 300 200""#));
        // No label: no legend.
        assert!(!fig.svg().contains("fill-opacity=\"0.85\""));
    }

    #[test]
    fn scatter_hist_and_tensors() {
        let t = Tensor::new(&[1f32, 2., 3.], &candle_core::Device::Cpu).unwrap();
        let fig = Plot::new()
            .scatter(&t, t.clone(), "points")
            .legend(true)
            .build()
            .unwrap();
        assert!(fig.svg().contains("<circle"));
        assert!(fig.svg().contains("points"));
        let fig = hist(vec![0.0, 0.1, 0.2, 0.9, 1.0, f64::NAN], 4, "draws").unwrap();
        assert!(fig.svg().contains("<rect") && fig.svg().contains("draws"));
        assert_eq!(
            histogram(&[0.0, 0.1, 0.2, 0.9, 1.0], 2),
            (vec![0.0, 0.5, 1.0], vec![3.0, 2.0])
        );
    }

    #[test]
    fn errors_are_reported_by_build() {
        let err = Plot::new()
            .line([1.0, 2.0], [1.0], "a")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("2 x values but 1 y values"));
        assert!(Plot::new()
            .line([1.0], [1.0], "a")
            .fmt("q")
            .build()
            .is_err());
        assert!(Plot::new().fmt("r").build().is_err());
        assert!(Plot::new().ylim(0.0, 1.0).yscale_log().build().is_err());
        assert!(Plot::new().xlim(1.0, 1.0).build().is_err());
        // Nothing to plot is fine.
        assert!(Plot::new().build().unwrap().svg().contains("<svg"));
    }

    #[test]
    fn ticks_and_labels() {
        assert_eq!(nice_ticks(0.0, 1.0, 5), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(nice_ticks(-0.3, 0.3, 3), vec![-0.2, 0.0, 0.2]);
        let axis = Axis {
            lo: -3.2,
            hi: 0.1,
            log: true,
        };
        assert_eq!(axis.ticks(6), vec![-3.0, -2.0, -1.0, 0.0]);
        let f = axis.formatter(&axis.ticks(6));
        assert_eq!(f(&-2.0), "10⁻²");
        assert_eq!(f(&0.0), "10⁰");
        let narrow = Axis {
            lo: 0.1f64.log10(),
            hi: 0.6f64.log10(),
            log: true,
        };
        let ticks = narrow.ticks(6);
        let f = narrow.formatter(&ticks);
        let labels: Vec<String> = ticks.iter().map(&f).collect();
        assert_eq!(labels, ["0.1", "0.2", "0.5"]);
        let narrower = Axis {
            lo: 0.057f64.log10(),
            hi: 0.16f64.log10(),
            log: true,
        };
        let ticks = narrower.ticks(6);
        let f = narrower.formatter(&ticks);
        let labels: Vec<String> = ticks.iter().map(&f).collect();
        assert_eq!(labels, ["0.06", "0.08", "0.1", "0.12", "0.14", "0.16"]);
        let lin = Axis {
            lo: 0.0,
            hi: 1.0,
            log: false,
        };
        let ticks = lin.ticks(5);
        let f = lin.formatter(&ticks);
        let labels: Vec<String> = ticks.iter().map(&f).collect();
        assert_eq!(labels, ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
        assert_eq!(format_number(2.5e7, 5e6, 2.5e7), "2.5e7");
    }

    #[test]
    fn clipping() {
        let clip = Clip {
            x0: 0.0,
            x1: 1.0,
            y0: 0.0,
            y1: 1.0,
        };
        let lines = clip.polylines(&[-1.0, 0.5, 2.0], &[0.5, 0.5, 0.5], false, false);
        assert_eq!(lines, vec![vec![(0.0, 0.5), (0.5, 0.5), (1.0, 0.5)]]);
        let lines = clip.polylines(
            &[0.1, 0.2, 0.3, 0.4],
            &[0.5, f64::NAN, 0.5, 0.6],
            false,
            false,
        );
        assert_eq!(lines, vec![vec![(0.3, 0.5), (0.4, 0.6)]]);
        assert_eq!(
            clip.points(&[0.5, 3.0], &[0.5, 0.5], false, false),
            vec![(0.5, 0.5)]
        );
    }
}
