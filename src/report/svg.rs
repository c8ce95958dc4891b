//! The pictures, drawn with plotters' SVG backend (no fonts or system libraries).

use plotters::prelude::*;

use crate::models::training::softmax::Record;
use crate::models::training::study::Figure;
use crate::report::evidence::Evidence;

const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

fn finite_max(values: impl Iterator<Item = f64>) -> f64 {
    values.filter(|v| v.is_finite()).fold(0.0, f64::max)
}

/// n·E[gap] (nats) against n (log scale, a tick at every n) for every series
/// with a finite gap at every n, with interval bars; dashed lines at each
/// series' Takeuchi tr(J⁻¹K), and a dotted line at Akaike's d for the
/// misspecified series, where the two differ.
pub fn gap_plot(e: &Evidence) -> Result<String, String> {
    gap_series_plot(&e.gap, &crate::report::evidence::GAP_SIZES)
}

/// [`gap_plot`]'s picture for any gap series, with a tick at each of `sizes`
/// (ascending, at least one) and the axis spanning them.
pub fn gap_series_plot(
    series: &[crate::report::evidence::GapSeries],
    sizes: &[usize],
) -> Result<String, String> {
    let shown: Vec<&crate::report::evidence::GapSeries> = series
        .iter()
        .filter(|g| g.points.iter().all(|p| p.scaled_gap.0.is_finite()))
        .collect();
    let (first, last) = (
        *sizes.first().ok_or("no sizes")? as f64,
        *sizes.last().ok_or("no sizes")? as f64,
    );
    // The span of the sizes, widened by a fifth at each end on the log scale.
    let (x_low, x_high) = (first / 1.25, last * 1.25);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1000, 600)).into_drawing_area();
        root.fill(&WHITE).map_err(|x| x.to_string())?;
        let y_max = finite_max(shown.iter().flat_map(|g| {
            g.points
                .iter()
                .map(|p| p.scaled_gap.2)
                .chain(g.takeuchi_trace)
        })) * 1.15;
        let ticks: Vec<f64> = sizes.iter().map(|&n| n as f64).collect();
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "how optimistic the training loss is: n × E[R(θ̂) − R̂ₙ(θ̂)] against n",
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(
                (x_low..x_high).log_scale().with_key_points(ticks),
                0f64..y_max.max(1.0),
            )
            .map_err(|x| x.to_string())?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .x_desc("training-set size n (log scale)")
            .y_desc("n × expected gap (nats)")
            .draw()
            .map_err(|x| x.to_string())?;
        for (i, g) in shown.iter().enumerate() {
            let color = COLORS[i % COLORS.len()];
            let points: Vec<(f64, f64)> = g
                .points
                .iter()
                .map(|p| (p.n as f64, p.scaled_gap.0))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                .map_err(|x| x.to_string())?
                .label(g.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|&(x, y)| Circle::new((x, y), 3, color.filled())),
                )
                .map_err(|x| x.to_string())?;
            for p in g.points.iter().filter(|p| p.scaled_gap.1.is_finite()) {
                let x = p.n as f64;
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x, p.scaled_gap.1), (x, p.scaled_gap.2)],
                        color.stroke_width(1),
                    )))
                    .map_err(|x| x.to_string())?;
            }
            if let Some(tr) = g.takeuchi_trace {
                chart
                    .draw_series(DashedLineSeries::new(
                        vec![(x_low, tr), (x_high, tr)],
                        6,
                        4,
                        color.stroke_width(1),
                    ))
                    .map_err(|x| x.to_string())?;
            }
            if !g.well_specified {
                let d = g.parameters as f64;
                chart
                    .draw_series(DashedLineSeries::new(
                        vec![(x_low, d), (x_high, d)],
                        2,
                        3,
                        color.stroke_width(2),
                    ))
                    .map_err(|x| x.to_string())?;
            }
        }
        let misspecified_d: Vec<usize> = shown
            .iter()
            .filter(|g| !g.well_specified)
            .map(|g| g.parameters)
            .collect();
        if let Some(&d) = misspecified_d.first() {
            chart
                .draw_series(std::iter::once(Text::new(
                    format!(
                        "dotted: Akaike's d = {d}, wrong for the misspecified fits; dashed: Takeuchi's tr(J⁻¹K) of each fit"
                    ),
                    (x_low * 1.05, y_max.max(1.0) * 0.04),
                    ("sans-serif", 13),
                )))
                .map_err(|x| x.to_string())?;
        }
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.9))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|x| x.to_string())?;
        root.present().map_err(|x| x.to_string())?;
    }
    Ok(svg)
}

/// Two panels per estimator k1, k2, k3 and pair: bias/KL with its interval
/// (left), and the spread of one sample, std/KL, on a log scale (right).
pub fn kl_plot(e: &Evidence) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1100, 460)).into_drawing_area();
        root.fill(&WHITE).map_err(|x| x.to_string())?;
        let root = root
            .titled(
                "one-sample estimators of KL: bias and spread, relative to KL",
                ("sans-serif", 20),
            )
            .map_err(|x| x.to_string())?;
        let panels = root.split_evenly((1, 2));
        let slots = (e.kl.len() * 4) as f64;
        let slot = |pair: usize, j: usize| (pair * 4 + j) as f64 + 0.5;
        // Left: bias/KL and its interval.
        let bias = e
            .kl_bias_intervals
            .iter()
            .flat_map(|b| b.iter().flat_map(|&(lo, hi)| [lo, hi]));
        let (lo, hi) = padded_range(bias.chain([0.0]));
        let (lo, hi) = (lo - 0.12 * (hi - lo), hi);
        let mut chart = ChartBuilder::on(&panels[0])
            .caption("bias / KL, with its 95% interval", ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(10)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..slots, lo..hi)
            .map_err(|x| x.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .x_labels(0)
            .y_desc("(mean − KL) / KL")
            .draw()
            .map_err(|x| x.to_string())?;
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, 0.0), (slots, 0.0)],
                RGBColor(160, 160, 160).stroke_width(1),
            ))
            .map_err(|x| x.to_string())?;
        for (pair, ((from, to, k), intervals)) in e.kl.iter().zip(&e.kl_bias_intervals).enumerate()
        {
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("KL({from} ‖ {to})"),
                    (slot(pair, 0) - 0.45, lo + 0.06 * (hi - lo)),
                    ("sans-serif", 11),
                )))
                .map_err(|x| x.to_string())?;
            for (j, (est, &(a, b))) in [k.k1, k.k2, k.k3].iter().zip(intervals).enumerate() {
                let (x, color) = (slot(pair, j), COLORS[j]);
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x, a), (x, b)],
                        color.stroke_width(3),
                    )))
                    .map_err(|x| x.to_string())?;
                let series = chart
                    .draw_series(std::iter::once(Circle::new(
                        (x, est.bias_over_kl),
                        4,
                        color.filled(),
                    )))
                    .map_err(|x| x.to_string())?;
                if pair == 0 {
                    series
                        .label(format!("k{}", j + 1))
                        .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
                }
            }
        }
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.9))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|x| x.to_string())?;
        // Right: std/KL on a log scale.
        let spreads: Vec<f64> =
            e.kl.iter()
                .flat_map(|(_, _, k)| [k.k1.std_over_kl, k.k2.std_over_kl, k.k3.std_over_kl])
                .filter(|v| v.is_finite() && *v > 0.0)
                .collect();
        let top = spreads.iter().copied().fold(1.0, f64::max) * 2.0;
        let bottom = spreads.iter().copied().fold(1.0, f64::min) / 2.0;
        let mut chart = ChartBuilder::on(&panels[1])
            .caption(
                "spread of one sample: std / KL (log scale)",
                ("sans-serif", 16),
            )
            .margin(12)
            .x_label_area_size(10)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..slots, (bottom..top).log_scale())
            .map_err(|x| x.to_string())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .x_labels(0)
            .y_label_formatter(&|y| format!("{y}"))
            .y_desc("std / KL")
            .draw()
            .map_err(|x| x.to_string())?;
        for (pair, (from, to, k)) in e.kl.iter().enumerate() {
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("KL({from} ‖ {to})"),
                    (slot(pair, 0) - 0.45, top / 1.3),
                    ("sans-serif", 11),
                )))
                .map_err(|x| x.to_string())?;
            for (j, est) in [k.k1, k.k2, k.k3].iter().enumerate() {
                let (x, color) = (slot(pair, j), COLORS[j]);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x - 0.3, bottom), (x + 0.3, est.std_over_kl)],
                        color.filled(),
                    )))
                    .map_err(|x| x.to_string())?;
            }
        }
        root.present().map_err(|x| x.to_string())?;
    }
    Ok(svg)
}

/// The bimodal target's density and the densities of the two single-Gaussian
/// fits: forward KL(p‖q) covers both modes, reverse KL(q‖p) sits on one.
pub fn reverse_kl_plot(e: &Evidence) -> Result<String, String> {
    let pic = &e.reverse_kl;
    let mut svg = String::new();
    let mut paths = String::new();
    let series: [(&str, &Vec<f64>, RGBColor, bool); 3] = [
        ("target p (two modes)", &pic.p, RGBColor(60, 60, 60), false),
        (
            "argmin KL(p‖q): covers the mass",
            &pic.forward.0,
            COLORS[0],
            false,
        ),
        (
            "argmin KL(q‖p): seeks a mode",
            &pic.reverse.0,
            COLORS[3],
            true,
        ),
    ];
    {
        let root = SVGBackend::with_string(&mut svg, (1000, 480)).into_drawing_area();
        root.fill(&WHITE).map_err(|x| x.to_string())?;
        root.draw(&Text::new(
            "one Gaussian fitted to a two-mode target, in each direction of KL",
            (230, 8),
            ("sans-serif", 20),
        ))
        .map_err(|x| x.to_string())?;
        let entries: Vec<(&str, RGBColor, bool)> =
            series.iter().map(|&(l, _, c, d)| (l, c, d)).collect();
        margin_legend(&root, &entries, 46)?;
        let body = root.margin(60, 0, 0, 0);
        let x = (
            pic.x.first().copied().unwrap_or(-1.0),
            pic.x.last().copied().unwrap_or(1.0),
        );
        let y_max = finite_max(
            pic.p
                .iter()
                .chain(&pic.forward.0)
                .chain(&pic.reverse.0)
                .copied(),
        ) * 1.08;
        let y = (0.0, y_max.max(1e-12));
        let mut chart = ChartBuilder::on(&body)
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(x.0..x.1, y.0..y.1)
            .map_err(|x| x.to_string())?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_desc("x")
            .y_desc("probability density")
            .draw()
            .map_err(|x| x.to_string())?;
        let frame = Frame::of(&chart, x, y);
        for (_, values, colour, dashed) in series {
            paths.push_str(&frame.path(&Curve {
                xs: &pic.x,
                ys: values,
                colour,
                width: 2.5,
                opacity: 1.0,
                dashed,
            }));
        }
        root.present().map_err(|x| x.to_string())?;
    }
    append_paths(&mut svg, &paths);
    Ok(svg)
}

/// The value one panel plots from a record.
type PanelValue = fn(&Record) -> f64;

/// The three panels of a training figure: (title, y-axis description, value).
const TRAINING_PANELS: [(&str, &str, PanelValue); 3] = [
    ("training loss", "loss as the call returns it (nats)", |r| {
        r.train_loss
    }),
    ("held-out NLL", "held-out mean −ln q(y) (nats)", |r| {
        r.held_out_nll
    }),
    ("held-out accuracy", "held-out accuracy (%)", |r| {
        100.0 * r.held_out_accuracy
    }),
];

/// A training figure: training loss, held-out NLL and held-out accuracy
/// against the step, one line per curve; a curve that follows an earlier one
/// is drawn dashed in that curve's colour, on top of it (the followed curve
/// wide and light). Non-finite values (a NaN loss) are not drawn; a curve
/// that ends non-finite gets a cross at its last finite point.
pub fn training_plot(figure: &Figure) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1320, 470)).into_drawing_area();
        root.fill(&WHITE).map_err(|x| x.to_string())?;
        let root = root
            .titled(figure.title, ("sans-serif", 20))
            .map_err(|x| x.to_string())?;
        let panels = root.split_evenly((1, 3));
        let steps = figure
            .curves
            .iter()
            .flat_map(|c| c.records.last())
            .map(|r| r.step)
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        let mut colour_of = Vec::with_capacity(figure.curves.len());
        let mut next = 0;
        for c in &figure.curves {
            match c.follows {
                Some(i) if i < colour_of.len() => colour_of.push(colour_of[i]),
                _ => {
                    colour_of.push(COLORS[next % COLORS.len()]);
                    next += 1;
                }
            }
        }
        for (p, (panel, (title, y_desc, value))) in panels.iter().zip(TRAINING_PANELS).enumerate() {
            let values = figure
                .curves
                .iter()
                .flat_map(|c| c.records.iter().map(value))
                .filter(|v| v.is_finite());
            let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            });
            let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
            let pad = ((hi - lo) * 0.05).max(1e-3);
            let mut chart = ChartBuilder::on(panel)
                .caption(title, ("sans-serif", 16))
                .margin(10)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(0f64..steps, (lo - pad)..(hi + pad))
                .map_err(|x| x.to_string())?;
            chart
                .configure_mesh()
                .light_line_style(WHITE)
                .x_labels(6)
                .x_label_formatter(&|x| format!("{x:.0}"))
                .x_desc("gradient step")
                .y_desc(y_desc)
                .draw()
                .map_err(|x| x.to_string())?;
            for (c, colour) in figure.curves.iter().zip(&colour_of) {
                let colour = *colour;
                let points: Vec<(f64, f64)> = c
                    .records
                    .iter()
                    .map(|r| (r.step as f64, value(r)))
                    .filter(|(_, v)| v.is_finite())
                    .collect();
                let annotation = if c.follows.is_some() {
                    chart
                        .draw_series(DashedLineSeries::new(points, 8, 6, colour.stroke_width(2)))
                        .map_err(|x| x.to_string())?
                } else {
                    // A curve that another follows is drawn wide and light, so
                    // the dashes on top of it stay visible.
                    let followed = figure.curves.iter().any(|o| {
                        o.follows
                            .is_some_and(|i| std::ptr::eq(&figure.curves[i], c))
                    });
                    let style = if followed {
                        colour.mix(0.35).stroke_width(7)
                    } else {
                        colour.stroke_width(3)
                    };
                    let ends_non_finite = c.records.last().is_some_and(|r| !value(r).is_finite());
                    if let (true, Some(&end)) = (ends_non_finite, points.last()) {
                        chart
                            .draw_series(std::iter::once(Cross::new(
                                end,
                                7,
                                colour.stroke_width(3),
                            )))
                            .map_err(|x| x.to_string())?;
                    }
                    chart
                        .draw_series(LineSeries::new(points, style))
                        .map_err(|x| x.to_string())?
                };
                if p == 0 {
                    let dashed = c.follows.is_some();
                    annotation.label(c.label).legend(move |(x, y)| {
                        if dashed {
                            PathElement::new(vec![(x, y), (x + 8, y)], colour.stroke_width(2))
                        } else {
                            PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3))
                        }
                    });
                }
            }
            if p == 0 {
                chart
                    .configure_series_labels()
                    .border_style(BLACK)
                    .background_style(WHITE.mix(0.9))
                    .label_font(("sans-serif", 11))
                    .position(SeriesLabelPosition::UpperRight)
                    .draw()
                    .map_err(|x| x.to_string())?;
            }
        }
        root.present().map_err(|x| x.to_string())?;
    }
    Ok(svg)
}

/// A curve in data coordinates, drawn as one SVG path with fractional pixel
/// coordinates, so a smooth curve does not come out as whole-pixel steps.
struct Curve<'a> {
    xs: &'a [f64],
    ys: &'a [f64],
    colour: RGBColor,
    width: f64,
    opacity: f64,
    dashed: bool,
}

/// The pixel rectangle of a chart's plotting area and the data ranges it shows.
struct Frame {
    px: (f64, f64),
    py: (f64, f64),
    x: (f64, f64),
    y: (f64, f64),
}

impl Frame {
    fn of<DB: DrawingBackend>(
        chart: &ChartContext<
            '_,
            DB,
            Cartesian2d<
                plotters::coord::types::RangedCoordf64,
                plotters::coord::types::RangedCoordf64,
            >,
        >,
        x: (f64, f64),
        y: (f64, f64),
    ) -> Frame {
        let (rx, ry) = chart.plotting_area().get_pixel_range();
        Frame {
            px: (f64::from(rx.start), f64::from(rx.end)),
            py: (f64::from(ry.start), f64::from(ry.end)),
            x,
            y,
        }
    }

    /// The SVG path of `c`, clipped to the frame's y range by dropping points outside it.
    fn path(&self, c: &Curve<'_>) -> String {
        let mut d = String::new();
        let mut pen_down = false;
        for (&x, &y) in c.xs.iter().zip(c.ys) {
            if !(x.is_finite() && y.is_finite() && y >= self.y.0 && y <= self.y.1) {
                pen_down = false;
                continue;
            }
            let sx = self.px.0 + (x - self.x.0) / (self.x.1 - self.x.0) * (self.px.1 - self.px.0);
            let sy = self.py.1 - (y - self.y.0) / (self.y.1 - self.y.0) * (self.py.1 - self.py.0);
            d.push_str(&format!(
                "{}{:.2},{:.2} ",
                if pen_down { "L" } else { "M" },
                sx,
                sy
            ));
            pen_down = true;
        }
        let RGBColor(r, g, b) = c.colour;
        format!(
            "<path fill=\"none\" stroke=\"#{r:02X}{g:02X}{b:02X}\" stroke-width=\"{}\" opacity=\"{}\" stroke-linejoin=\"round\"{} d=\"{}\"/>\n",
            c.width,
            c.opacity,
            if c.dashed {
                " stroke-dasharray=\"8 6\""
            } else {
                ""
            },
            d.trim_end()
        )
    }
}

/// Appends the curves' paths at the end of an SVG document written by plotters.
fn append_paths(svg: &mut String, paths: &str) {
    if let Some(at) = svg.rfind("</svg>") {
        svg.insert_str(at, paths);
    }
}

/// A legend row in the margin under the title: a short line in each curve's
/// colour and its label, in pixel coordinates of the root area.
fn margin_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    entries: &[(&str, RGBColor, bool)],
    y: i32,
) -> Result<(), String> {
    let mut x = 70;
    for &(label, colour, dashed) in entries {
        let style = colour.stroke_width(3);
        if dashed {
            for k in 0..3 {
                root.draw(&PathElement::new(
                    vec![(x + 9 * k, y), (x + 9 * k + 5, y)],
                    style,
                ))
                .map_err(|e| e.to_string())?;
            }
        } else {
            root.draw(&PathElement::new(vec![(x, y), (x + 24, y)], style))
                .map_err(|e| e.to_string())?;
        }
        root.draw(&Text::new(
            label.to_string(),
            (x + 30, y - 7),
            ("sans-serif", 14),
        ))
        .map_err(|e| e.to_string())?;
        x += 40 + 8 * label.chars().count() as i32;
    }
    Ok(())
}

/// The range of the finite values, padded by 5% on each side.
fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-9);
    (lo - pad, hi + pad)
}

/// One panel of the logit picture: title, y-axis description, y range, the
/// CE values and the KL values.
type Panel<'a> = (&'a str, &'a str, (f64, f64), &'a [f64], &'a [f64]);

/// CE and KL against one logit (left) and their slopes (right): parallel
/// curves offset by H(p), the same minimizer, one slope.
pub fn argmin_plot(e: &Evidence) -> Result<String, String> {
    let s = &e.sweep;
    let mut svg = String::new();
    let mut paths = String::new();
    let (ce_colour, kl_colour) = (COLORS[0], COLORS[1]);
    {
        let root = SVGBackend::with_string(&mut svg, (1100, 480)).into_drawing_area();
        root.fill(&WHITE).map_err(|x| x.to_string())?;
        root.draw(&Text::new(
            "cross-entropy and KL against one logit t, logits (t, 0, 0)",
            (300, 8),
            ("sans-serif", 20),
        ))
        .map_err(|x| x.to_string())?;
        margin_legend(
            &root,
            &[
                ("CE(p, softmax z)", ce_colour, false),
                ("KL(p‖softmax z)", kl_colour, true),
                ("t* = ln(p₁/p₂): softmax z = p", RGBColor(90, 90, 90), true),
            ],
            46,
        )?;
        let body = root.margin(60, 0, 0, 0);
        let panels = body.split_evenly((1, 2));
        let x = (s.t[0], s.t[s.t.len() - 1]);
        let values = padded_range(s.ce.iter().chain(&s.kl).copied().chain([0.0]));
        let slopes = padded_range(s.ce_slope.iter().chain(&s.kl_slope).copied());
        let sets: [Panel<'_>; 2] = [
            (
                "the losses: the same curve, shifted by H(p)",
                "loss (nats)",
                values,
                &s.ce,
                &s.kl,
            ),
            (
                "their slopes ∂/∂t: one curve",
                "∂loss/∂t = softmax(z)₁ − p₁",
                slopes,
                &s.ce_slope,
                &s.kl_slope,
            ),
        ];
        for (k, (panel, (title, y_desc, y, ce, kl))) in panels.iter().zip(sets).enumerate() {
            // On the left the curves are apart, both drawn plainly; on the
            // right they coincide, so cross-entropy is wide and light under
            // the dashed KL.
            let (ce_width, ce_opacity) = if k == 0 { (2.5, 1.0) } else { (7.0, 0.35) };
            let mut chart = ChartBuilder::on(panel)
                .caption(title, ("sans-serif", 16))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(x.0..x.1, y.0..y.1)
                .map_err(|x| x.to_string())?;
            chart
                .configure_mesh()
                .light_line_style(WHITE)
                .x_desc("the first logit t")
                .y_desc(y_desc)
                .draw()
                .map_err(|x| x.to_string())?;
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(s.minimizer, y.0), (s.minimizer, y.1)],
                    6,
                    4,
                    RGBColor(90, 90, 90).stroke_width(1),
                ))
                .map_err(|x| x.to_string())?;
            if y.0 < 0.0 && y.1 > 0.0 {
                chart
                    .draw_series(LineSeries::new(
                        vec![(x.0, 0.0), (x.1, 0.0)],
                        RGBColor(160, 160, 160).stroke_width(1),
                    ))
                    .map_err(|x| x.to_string())?;
            }
            let frame = Frame::of(&chart, x, y);
            paths.push_str(&frame.path(&Curve {
                xs: &s.t,
                ys: ce,
                colour: ce_colour,
                width: ce_width,
                opacity: ce_opacity,
                dashed: false,
            }));
            paths.push_str(&frame.path(&Curve {
                xs: &s.t,
                ys: kl,
                colour: kl_colour,
                width: 2.5,
                opacity: 1.0,
                dashed: true,
            }));
        }
        root.present().map_err(|x| x.to_string())?;
    }
    append_paths(&mut svg, &paths);
    Ok(svg)
}
