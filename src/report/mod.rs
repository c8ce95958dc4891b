//! The Markdown and SVG reports, rendered from [`Evidence`] only: this module
//! formats and draws, it does not compute.

pub mod evidence;
mod format;
mod markdown;
mod svg;

use crate::report::evidence::Evidence;

/// One file of the report: its name inside the report folder and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFile {
    /// The file name, e.g. `README.md`.
    pub name: &'static str,
    /// The contents.
    pub contents: String,
}

/// An error while drawing a picture.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot draw {file}: {message}")]
pub struct RenderError {
    /// The picture's file name.
    pub file: &'static str,
    /// What the drawing library said.
    pub message: String,
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
        file: "gap.svg",
        message,
    })?;
    let reverse_svg = svg::reverse_kl_plot(e).map_err(|message| RenderError {
        file: "reverse-kl.svg",
        message,
    })?;
    let kl_svg = svg::kl_plot(e).map_err(|message| RenderError {
        file: "kl-estimators.svg",
        message,
    })?;
    Ok(vec![
        ReportFile {
            name: "README.md",
            contents: markdown::index(e),
        },
        ReportFile {
            name: "identities.md",
            contents: markdown::identities(e),
        },
        ReportFile {
            name: "argmin.md",
            contents: markdown::argmin(e),
        },
        ReportFile {
            name: "where-they-differ.md",
            contents: markdown::where_they_differ(e),
        },
        ReportFile {
            name: "risk-gap.md",
            contents: markdown::risk_gap(e),
        },
        ReportFile {
            name: "kl-estimators.md",
            contents: markdown::kl_estimators(e),
        },
        ReportFile {
            name: "calibration.md",
            contents: markdown::calibration(e),
        },
        ReportFile {
            name: "reverse-kl.svg",
            contents: reverse_svg,
        },
        ReportFile {
            name: "gap.svg",
            contents: gap_svg,
        },
        ReportFile {
            name: "kl-estimators.svg",
            contents: kl_svg,
        },
    ])
}
