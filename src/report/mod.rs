//! The Markdown and SVG reports, rendered from [`Evidence`] only: this module
//! formats and draws, it does not compute.

pub(crate) mod csv;
pub mod evidence;
mod format;
mod markdown;
mod svg;

use crate::report::evidence::Evidence;

/// One file of the report: its name inside the report folder and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFile {
    /// The file name, e.g. `README.md` or `data/training-mean.csv`.
    pub name: String,
    /// The contents.
    pub contents: String,
}

/// An error while drawing a picture.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot draw {file}: {message}")]
pub struct RenderError {
    /// The picture's file name.
    pub file: String,
    /// What the drawing library said.
    pub message: String,
}

/// A gap study's page and picture: the Markdown (which shows the picture
/// as `picture`) and the SVG, in the style of the report's risk-gap page.
/// `sizes` are the study's n values, ascending.
///
/// # Errors
/// [`RenderError`] if the picture cannot be drawn.
pub fn gap_study(
    title: &str,
    series: &[evidence::GapSeries],
    sizes: &[usize],
    picture: &str,
) -> Result<(String, String), RenderError> {
    let svg = svg::gap_series_plot(series, sizes).map_err(|message| RenderError {
        file: picture.to_string(),
        message,
    })?;
    Ok((markdown::gap_study_page(title, series, picture), svg))
}

/// A KL-estimator study's page, in the style of the report's
/// kl-estimators page.
pub fn kl_study(title: &str, runs: &[(String, String, crate::estimators::KlEstimates)]) -> String {
    markdown::kl_study_page(title, runs)
}

/// Renders every report file from the evidence.
///
/// The output depends only on the evidence: no timestamps, fixed number
/// formats, so the same seed and budget give byte-identical files.
///
/// # Errors
/// [`RenderError`] if a picture cannot be drawn.
pub fn render(e: &Evidence) -> Result<Vec<ReportFile>, RenderError> {
    let gap_svg = svg::gap_plot(e).map_err(|message| RenderError {
        file: "gap.svg".into(),
        message,
    })?;
    let reverse_svg = svg::reverse_kl_plot(e).map_err(|message| RenderError {
        file: "reverse-kl.svg".into(),
        message,
    })?;
    let kl_svg = svg::kl_plot(e).map_err(|message| RenderError {
        file: "kl-estimators.svg".into(),
        message,
    })?;
    let argmin_svg = svg::argmin_plot(e).map_err(|message| RenderError {
        file: "argmin-logit.svg".into(),
        message,
    })?;
    let mut files = vec![
        ReportFile {
            name: "README.md".into(),
            contents: markdown::index(e),
        },
        ReportFile {
            name: "identities.md".into(),
            contents: markdown::identities(e),
        },
        ReportFile {
            name: "argmin.md".into(),
            contents: markdown::argmin(e),
        },
        ReportFile {
            name: "where-they-differ.md".into(),
            contents: markdown::where_they_differ(e),
        },
        ReportFile {
            name: "risk-gap.md".into(),
            contents: markdown::risk_gap(e),
        },
        ReportFile {
            name: "kl-estimators.md".into(),
            contents: markdown::kl_estimators(e),
        },
        ReportFile {
            name: "calibration.md".into(),
            contents: markdown::calibration(e),
        },
        ReportFile {
            name: "appendix.md".into(),
            contents: markdown::appendix(e),
        },
        ReportFile {
            name: "reverse-kl.svg".into(),
            contents: reverse_svg,
        },
        ReportFile {
            name: "gap.svg".into(),
            contents: gap_svg,
        },
        ReportFile {
            name: "kl-estimators.svg".into(),
            contents: kl_svg,
        },
        ReportFile {
            name: "argmin-logit.svg".into(),
            contents: argmin_svg,
        },
        ReportFile {
            name: "training.md".into(),
            contents: markdown::training(e),
        },
    ];
    for figure in &e.training.figures {
        let svg = format!("{}.svg", figure.stem);
        let contents = svg::training_plot(figure).map_err(|message| RenderError {
            file: svg.clone(),
            message,
        })?;
        files.push(ReportFile {
            name: svg,
            contents,
        });
        files.push(ReportFile {
            name: format!("data/{}.csv", figure.stem),
            contents: csv::training_csv(figure),
        });
    }
    Ok(files)
}
