//! `logloss-proofs study`: a grid of `gap` or `kl-estimators` runs, cut into
//! shards for a batch engine the user already has (GNU parallel, a Slurm job
//! array), then merged into one JSON, a Markdown page and, for gap studies,
//! the n·gap-against-n picture. The crate plans and merges; it never
//! schedules.
//!
//! A study file is JSON:
//!
//! ```text
//! {"name": "laplace-gap", "command": "gap", "seed": 2026, "shards": 4,
//!  "grid": {"model": ["normal"], "truth": ["laplace:0,1", "normal:0,1"],
//!           "n": [100, 1000], "reps": [200000]}}
//! ```
//!
//! `gap` grids take `model`, `truth`, `n`, `reps` and optionally `level`
//! (default 0.95); `kl-estimators` grids take `from`, `to` and `samples`.
//! The points are the grid's product, in the order model, truth, n, reps,
//! level (from, to, samples); point k is `pKKK`, and its shard i of N is
//! written to `DIR/pKKK/shard-i-of-N.json`.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use logloss_proofs::estimators::Shard;
use logloss_proofs::report::evidence::{gap_point, gap_series};
use serde::Deserialize;
use serde_json::{Value, json};

use super::report::write_atomically;
use super::shards::{Merged, ShardFile};
use super::{Cli, Command, gap, kl};
use crate::error::CliError;

/// Arguments of `study`.
#[derive(Debug, Args)]
pub struct StudyArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Print one command line per shard (for `parallel`), or with --slurm a
    /// Slurm job-array script whose task T runs line T + 1.
    Plan {
        /// The study file.
        file: PathBuf,
        /// The folder the shards are written to.
        dir: PathBuf,
        /// Write an sbatch script instead of plain command lines.
        #[arg(long)]
        slurm: bool,
        /// The program to run on the workers.
        #[arg(long, value_name = "PATH", default_value = "logloss-proofs")]
        bin: String,
    },
    /// Merge every point's shards into DIR/study.json, DIR/study.md and, for
    /// gap studies, DIR/study.svg.
    Merge {
        /// The study file.
        file: PathBuf,
        /// The folder the shards were written to.
        dir: PathBuf,
    },
    /// List each shard as done, missing or corrupt (exit status 1 unless
    /// all are done), with the lines to run again.
    Status {
        /// The study file.
        file: PathBuf,
        /// The folder the shards are written to.
        dir: PathBuf,
        /// The program, as in `plan`.
        #[arg(long, value_name = "PATH", default_value = "logloss-proofs")]
        bin: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StudyFile {
    name: String,
    command: String,
    seed: u64,
    shards: u64,
    grid: Grid,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Grid {
    model: Option<Vec<String>>,
    truth: Option<Vec<String>>,
    n: Option<Vec<u64>>,
    reps: Option<Vec<u64>>,
    level: Option<Vec<f64>>,
    from: Option<Vec<String>>,
    to: Option<Vec<String>>,
    samples: Option<Vec<u64>>,
}

/// One run of the grid.
#[derive(Debug, Clone)]
struct Point {
    /// `p000`, `p001`, …
    id: String,
    /// The command's arguments, without --shard and --out.
    args: Vec<String>,
    /// What a shard file of the run records as its configuration.
    config: Value,
}

/// A command's flags, the grid's values for them, and the other
/// command's grid keys with whether the file gave them (an error).
type Parameters = (
    &'static [&'static str],
    Vec<Vec<String>>,
    [(&'static str, bool); 3],
);

/// A study, read and expanded.
#[derive(Debug)]
struct Study {
    name: String,
    command: String,
    shards: u64,
    points: Vec<Point>,
}

fn bad(file: &Path, what: impl std::fmt::Display) -> CliError {
    CliError::Usage(format!("{}: {what}", file.display()))
}

/// The list `name` of the grid: present and not empty.
fn values<'a, T>(file: &Path, name: &str, list: &'a Option<Vec<T>>) -> Result<&'a [T], CliError> {
    match list {
        Some(v) if !v.is_empty() => Ok(v),
        Some(_) => Err(bad(file, format!("grid.{name} is empty"))),
        None => Err(bad(file, format!("grid.{name} is missing"))),
    }
}

/// Every combination of the lists, the first varying slowest.
fn product(lists: &[Vec<String>]) -> Vec<Vec<String>> {
    lists.iter().fold(vec![Vec::new()], |acc, list| {
        acc.iter()
            .flat_map(|prefix| {
                list.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push(v.clone());
                    p
                })
            })
            .collect()
    })
}

fn strings<T: ToString>(v: &[T]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

impl Study {
    fn read(file: &Path) -> Result<Self, CliError> {
        let text = std::fs::read_to_string(file).map_err(|e| bad(file, e))?;
        let spec: StudyFile = serde_json::from_str(&text).map_err(|e| bad(file, e))?;
        if spec.name.is_empty()
            || !spec
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(bad(
                file,
                format!(
                    "name {:?} must be letters, digits, '-', '_' or '.'",
                    spec.name
                ),
            ));
        }
        if spec.shards == 0 {
            return Err(bad(file, "shards = 0: at least 1 is needed"));
        }
        let g = &spec.grid;
        let (flags, lists, extra): Parameters = match spec.command.as_str() {
            "gap" => (
                &["--model", "--truth", "--n", "--reps", "--level"],
                vec![
                    strings(values(file, "model", &g.model)?),
                    strings(values(file, "truth", &g.truth)?),
                    strings(values(file, "n", &g.n)?),
                    strings(values(file, "reps", &g.reps)?),
                    strings(g.level.as_deref().unwrap_or(&[0.95])),
                ],
                [
                    ("from", g.from.is_some()),
                    ("to", g.to.is_some()),
                    ("samples", g.samples.is_some()),
                ],
            ),
            "kl-estimators" => (
                &["--from", "--to", "--samples"],
                vec![
                    strings(values(file, "from", &g.from)?),
                    strings(values(file, "to", &g.to)?),
                    strings(values(file, "samples", &g.samples)?),
                ],
                [
                    ("model", g.model.is_some() || g.truth.is_some()),
                    ("n", g.n.is_some() || g.reps.is_some()),
                    ("level", g.level.is_some()),
                ],
            ),
            other => {
                return Err(bad(
                    file,
                    format!("command {other:?}: a study runs gap or kl-estimators"),
                ));
            }
        };
        if let Some((name, _)) = extra.iter().find(|(_, present)| *present) {
            return Err(bad(
                file,
                format!("grid.{name} is not a parameter of {}", spec.command),
            ));
        }
        let mut points = Vec::new();
        for (k, values) in product(&lists).into_iter().enumerate() {
            let mut args = vec![spec.command.clone()];
            for (flag, value) in flags.iter().zip(values) {
                args.push(flag.to_string());
                args.push(value);
            }
            args.extend(["--seed".to_string(), spec.seed.to_string()]);
            let config = point_config(&args).map_err(|e| bad(file, format!("point {k}: {e}")))?;
            points.push(Point {
                id: format!("p{k:03}"),
                args,
                config,
            });
        }
        Ok(Study {
            name: spec.name,
            command: spec.command,
            shards: spec.shards,
            points,
        })
    }

    fn shard_path(&self, dir: &Path, point: &Point, shard: u64) -> PathBuf {
        dir.join(&point.id)
            .join(format!("shard-{shard}-of-{}.json", self.shards))
    }

    /// The command line of every shard, point by point.
    fn lines(&self, dir: &Path, bin: &str) -> Vec<String> {
        let mut lines = Vec::new();
        for point in &self.points {
            for i in 0..self.shards {
                let mut words = vec![bin.to_string()];
                words.extend(point.args.iter().cloned());
                words.extend([
                    "--shard".to_string(),
                    format!("{i}/{}", self.shards),
                    "--out".to_string(),
                    self.shard_path(dir, point, i).display().to_string(),
                ]);
                lines.push(
                    words
                        .iter()
                        .map(|w| quoted(w))
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
        }
        lines
    }
}

/// The configuration a run's shard files record: the one the command
/// itself writes, from its own parsed arguments.
fn point_config(args: &[String]) -> Result<Value, CliError> {
    let cli = Cli::try_parse_from(
        std::iter::once("logloss-proofs".to_string()).chain(args.iter().cloned()),
    )
    .map_err(|e| CliError::Usage(e.to_string().lines().next().unwrap_or("").to_string()))?;
    match cli.command {
        Command::Gap(a) => a.checked_config_json(),
        Command::KlEstimators(a) => a.checked_config_json(),
        _ => Err(CliError::Usage(
            "not a gap or kl-estimators run".to_string(),
        )),
    }
}

/// A word as the shell reads it back: unchanged when it holds only safe
/// characters, else in single quotes.
fn quoted(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:,=+@%".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The sbatch script: an array of one task per line, task T running line
/// T + 1 of the embedded list.
fn slurm_script(study: &Study, lines: &[String], dir: &Path) -> String {
    let logs = dir.join("slurm");
    let mut s = format!(
        "#!/bin/bash\n\
         # The {} shards of study {}: submit with `mkdir -p {} && sbatch THIS_FILE`.\n\
         # Task T runs line T + 1 below; a failed task can be resubmitted alone\n\
         # with `sbatch --array=T THIS_FILE` (`study status` lists them).\n\
         #SBATCH --job-name={}\n\
         #SBATCH --array=0-{}\n\
         #SBATCH --output={}/%A_%a.out\n\
         set -euo pipefail\n\
         line=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" <<'COMMANDS'\n",
        lines.len(),
        study.name,
        quoted(&logs.display().to_string()),
        study.name,
        lines.len() - 1,
        logs.display(),
    );
    for line in lines {
        s.push_str(line);
        s.push('\n');
    }
    s.push_str("COMMANDS\n)\neval \"$line\"\n");
    s
}

/// Runs `study`; returns false when `status` finds shards not done.
pub fn run(args: &StudyArgs, out: &mut dyn Write) -> Result<bool, CliError> {
    match &args.action {
        Action::Plan {
            file,
            dir,
            slurm,
            bin,
        } => {
            let study = Study::read(file)?;
            let lines = study.lines(dir, bin);
            let text = if *slurm {
                slurm_script(&study, &lines, dir)
            } else {
                lines.iter().map(|l| format!("{l}\n")).collect()
            };
            out.write_all(text.as_bytes()).map_err(CliError::Output)?;
            Ok(true)
        }
        Action::Status { file, dir, bin } => status(&Study::read(file)?, dir, bin, out),
        Action::Merge { file, dir } => {
            merge(&Study::read(file)?, dir, out)?;
            Ok(true)
        }
    }
}

/// What became of one shard.
enum State {
    Done,
    Missing,
    Corrupt(String),
}

fn state(study: &Study, point: &Point, path: &Path, shard: u64) -> State {
    if !path.exists() {
        return State::Missing;
    }
    match ShardFile::read(path) {
        Err(e) => State::Corrupt(e.to_string()),
        Ok(f) => {
            let expected = Shard::new(shard, study.shards).ok();
            if f.command != study.command
                || Value::Object(f.config.clone()) != point.config
                || Some(f.shard) != expected
            {
                State::Corrupt(format!(
                    "{}: a shard of another run ({} {}, shard {})",
                    path.display(),
                    f.command,
                    Value::Object(f.config),
                    f.shard
                ))
            } else {
                State::Done
            }
        }
    }
}

fn status(study: &Study, dir: &Path, bin: &str, out: &mut dyn Write) -> Result<bool, CliError> {
    let lines = study.lines(dir, bin);
    let mut text = String::new();
    let (mut done, mut missing, mut corrupt) = (0, 0, 0);
    let mut again = Vec::new();
    let mut task = 0;
    for point in &study.points {
        for i in 0..study.shards {
            let path = study.shard_path(dir, point, i);
            match state(study, point, &path, i) {
                State::Done => done += 1,
                State::Missing => {
                    missing += 1;
                    text.push_str(&format!("missing  task {task}: {}\n", path.display()));
                    again.push(task);
                }
                State::Corrupt(reason) => {
                    corrupt += 1;
                    text.push_str(&format!("corrupt  task {task}: {reason}\n"));
                    again.push(task);
                }
            }
            task += 1;
        }
    }
    text.push_str(&format!(
        "{done} done, {missing} missing, {corrupt} corrupt of {task} shards ({} points × {} shards)\n",
        study.points.len(),
        study.shards
    ));
    if !again.is_empty() {
        let tasks: Vec<String> = again.iter().map(u64::to_string).collect();
        text.push_str(&format!(
            "to run again: sbatch --array={} (Slurm), or these lines:\n",
            tasks.join(",")
        ));
        for &t in &again {
            text.push_str(&lines[t as usize]);
            text.push('\n');
        }
    }
    out.write_all(text.as_bytes()).map_err(CliError::Output)?;
    Ok(again.is_empty())
}

fn merge(study: &Study, dir: &Path, out: &mut dyn Write) -> Result<(), CliError> {
    let mut results = Vec::new();
    let mut gap_points = Vec::new();
    let mut kl_runs = Vec::new();
    for point in &study.points {
        let paths: Vec<PathBuf> = (0..study.shards)
            .map(|i| study.shard_path(dir, point, i))
            .collect();
        let merged = Merged::read(&paths)?;
        if merged.command() != study.command
            || Value::Object(merged.config().clone()) != point.config
        {
            return Err(CliError::Shards(format!(
                "{}: the shards are of another run than point {} of the study",
                dir.join(&point.id).display(),
                point.id
            )));
        }
        let config = merged.config();
        let estimate = if study.command == "gap" {
            let c = gap::config_from(config)?;
            let e = gap::finish(&c, &merged.gap_blocks())?;
            let json = gap::render_json(&e);
            gap_points.push(e);
            json
        } else {
            let (from, to, e) = kl::estimates_from(config, &merged.kl_blocks())?;
            let json = kl::render_json(&from, &to, &e);
            kl_runs.push((from, to, e));
            json
        };
        let estimate: Value = serde_json::from_str(&estimate).unwrap_or(Value::Null);
        results.push(json!({"point": point.id, "config": point.config, "estimate": estimate}));
    }
    let title = format!("Study {}", study.name);
    let summary = json!({"study": study.name, "command": study.command, "shards": study.shards, "points": results});
    let write = |name: &str, contents: &str| {
        write_atomically(dir, name, contents.as_bytes())
            .map_err(|e| CliError::Shards(format!("{}: {e}", dir.join(name).display())))
    };
    write("study.json", &(summary.to_string() + "\n"))?;
    let mut written = vec!["study.json"];
    if study.command == "gap" {
        let (series, sizes) = gap_series_of(gap_points);
        let (page, svg) = logloss_proofs::report::gap_study(&title, &series, &sizes, "study.svg")
            .map_err(|e| CliError::Shards(e.to_string()))?;
        write("study.md", &page)?;
        write("study.svg", &svg)?;
        written.extend(["study.md", "study.svg"]);
    } else {
        write(
            "study.md",
            &logloss_proofs::report::kl_study(&title, &kl_runs),
        )?;
        written.push("study.md");
    }
    let names: Vec<String> = written
        .iter()
        .map(|n| dir.join(n).display().to_string())
        .collect();
    writeln!(
        out,
        "{} points merged: {}",
        study.points.len(),
        names.join(", ")
    )
    .map_err(CliError::Output)
}

/// The gap series of a study: one per model, truth, replicates and level,
/// its points in increasing n; and the study's n values.
fn gap_series_of(
    points: Vec<logloss_proofs::estimators::GapEstimate>,
) -> (Vec<logloss_proofs::report::evidence::GapSeries>, Vec<usize>) {
    let mut groups: Vec<(
        String,
        String,
        String,
        Vec<logloss_proofs::estimators::GapEstimate>,
    )> = Vec::new();
    for e in points {
        let c = &e.config;
        let label = format!(
            "{} fitted to {} ({} replicates, {}% intervals)",
            c.model,
            c.truth,
            c.reps,
            100.0 * c.level
        );
        match groups.iter_mut().find(|g| g.2 == label) {
            Some(g) => g.3.push(e),
            None => groups.push((c.model.to_string(), c.truth.to_string(), label, vec![e])),
        }
    }
    let mut sizes: Vec<usize> = Vec::new();
    let series = groups
        .into_iter()
        .map(|(model, truth, label, mut estimates)| {
            estimates.sort_by_key(|e| e.config.n);
            sizes.extend(estimates.iter().map(|e| e.config.n));
            let well_specified = estimates[0].theory.approximation_error == 0.0;
            let points = estimates.into_iter().map(gap_point).collect();
            gap_series(&model, &truth, &label, well_specified, points)
        })
        .collect();
    sizes.sort_unstable();
    sizes.dedup();
    (series, sizes)
}
