//! Shard files and `merge`: the mergeable statistics of part of a `gap`,
//! `kl-estimators` or `calibrate` run, and their merging into exactly what
//! the whole run prints.
//!
//! A shard file is one JSON object:
//!
//! ```text
//! {"format": "logloss-proofs shard", "version": 2, "crate_version": "0.1.0",
//!  "command": "gap", "config": {"model": "normal", "truth": "laplace:0,1", "n": 1000,
//!  "reps": 20000, "seed": 2026, "level": 0.95},
//!  "command_line": ["logloss-proofs", "gap", …, "--shard", "1/3", "--out", "s1.json"],
//!  "shard": {"index": 1, "count": 3}, "units": 5, "parts": [ … ]}
//! ```
//!
//! `units` is the number of units of the whole run (blocks of 4096
//! replicates for `gap`, of 262 144 samples for `kl-estimators`, seeds for
//! `calibrate`); shard I of N holds the units u with u mod N = I. `parts`
//! holds, for `gap`, one object per unit of the shard, in order, with the
//! summaries `gap`, `raw`, `excess_risk`, `estimation`, `optimism`, each
//! `[count, mean, Σ(x − mean)², +∞ count]`; for `kl-estimators`, one array
//! of the three summaries of k1, k2, k3 per unit; for `calibrate`, one object
//! `{"seeds": S, "false_failures": [one count per check]}` for all the
//! shard's seeds. Numbers are written in their shortest form that reads
//! back as the same f64, so a merge gives the bits of the whole run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use logloss_proofs::estimators::{GapBlock, KlBlock, RunningStats, Shard};
use serde_json::{Map, Value, json};

use super::report::write_atomically;
use crate::error::CliError;

/// The value of `"format"`.
pub const FORMAT: &str = "logloss-proofs shard";

/// The version of the format this build writes and reads. Version 2: the
/// gap's summary may subtract the cubic control variate, so shards written
/// by a version-1 build (which never did) do not merge with these into one
/// run's bits.
pub const VERSION: u64 = 2;

/// Why shard files cannot be merged. Each message is one line naming the
/// file or files.
#[derive(Debug, thiserror::Error)]
pub enum ShardFileError {
    /// No file was given.
    #[error("merge: no shard files given")]
    NoFiles,
    /// A file could not be read or written.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// A file is not a valid shard file.
    #[error("{path}: not a valid shard file: {reason}")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Two files are from different runs.
    #[error("{a} and {b} are shards of different runs: their {field} differ ({va} against {vb})")]
    Mixed {
        /// What differs, e.g. `config`.
        field: &'static str,
        /// The first file.
        a: String,
        /// Its value.
        va: String,
        /// The other file.
        b: String,
        /// Its value.
        vb: String,
    },
    /// Two files are the same shard.
    #[error("shard {shard} appears twice: {a} and {b}")]
    Duplicate {
        /// The shard, I/N.
        shard: Shard,
        /// The first file.
        a: String,
        /// The other file.
        b: String,
    },
    /// Shards are missing.
    #[error("missing shard{} {} of {count}: the run cannot be merged without {}", if missing.len() == 1 { "" } else { "s" }, list(missing), if missing.len() == 1 { "it" } else { "them" })]
    Missing {
        /// The missing indices.
        missing: Vec<u64>,
        /// N.
        count: u64,
    },
}

fn list(indices: &[u64]) -> String {
    indices
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl From<ShardFileError> for CliError {
    fn from(e: ShardFileError) -> Self {
        CliError::Shards(e.to_string())
    }
}

/// The part of a run a shard file holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardFile {
    /// `gap`, `kl-estimators` or `calibrate`.
    pub command: String,
    /// The run's configuration, as the command line gave it.
    pub config: Map<String, Value>,
    /// The crate version that wrote it.
    pub crate_version: String,
    /// The full command line.
    pub command_line: Vec<String>,
    /// Which shard.
    pub shard: Shard,
    /// Units of the whole run.
    pub units: u64,
    /// The shard's statistics (see the module docs).
    pub parts: Vec<Value>,
}

/// The command line this process was started with.
pub fn command_line() -> Vec<String> {
    std::env::args().collect()
}

fn stats_json(s: &RunningStats) -> Value {
    let (count, mean, m2, infinite) = s.to_parts();
    json!([count, mean, m2, infinite])
}

fn stats_from(v: &Value) -> Result<RunningStats, String> {
    let a = v
        .as_array()
        .filter(|a| a.len() == 4)
        .ok_or_else(|| format!("{v} is not [count, mean, m2, infinite]"))?;
    let int = |x: &Value| x.as_u64().ok_or_else(|| format!("{x} is not a count"));
    let float = |x: &Value| x.as_f64().ok_or_else(|| format!("{x} is not a number"));
    RunningStats::from_parts(int(&a[0])?, float(&a[1])?, float(&a[2])?, int(&a[3])?)
        .map_err(|e| e.to_string())
}

impl ShardFile {
    fn new(command: &str, config: Value, shard: Shard, units: u64, parts: Vec<Value>) -> Self {
        ShardFile {
            command: command.to_string(),
            config: config.as_object().cloned().unwrap_or_default(),
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            command_line: command_line(),
            shard,
            units,
            parts,
        }
    }

    /// A shard of `gap`: its blocks' statistics.
    pub fn gap(config: Value, shard: Shard, units: u64, blocks: &[GapBlock]) -> Self {
        let parts = blocks
            .iter()
            .map(|b| {
                Value::Object(
                    b.named()
                        .into_iter()
                        .map(|(name, s)| (name.to_string(), stats_json(s)))
                        .collect(),
                )
            })
            .collect();
        ShardFile::new("gap", config, shard, units, parts)
    }

    /// A shard of `kl-estimators`: its blocks' statistics.
    pub fn kl(config: Value, shard: Shard, units: u64, blocks: &[KlBlock]) -> Self {
        let parts = blocks
            .iter()
            .map(|b| Value::Array(b.iter().map(stats_json).collect()))
            .collect();
        ShardFile::new("kl-estimators", config, shard, units, parts)
    }

    /// A shard of `calibrate`: the false failures of each check over the
    /// shard's seeds.
    pub fn calibrate(config: Value, shard: Shard, seeds: u64, counts: &[u64]) -> Self {
        let mine = shard.units(seeds).count();
        let parts = vec![json!({"seeds": mine, "false_failures": counts})];
        ShardFile::new("calibrate", config, shard, seeds, parts)
    }

    /// The file as one line of JSON.
    pub fn to_json(&self) -> String {
        json!({
            "format": FORMAT,
            "version": VERSION,
            "crate_version": self.crate_version,
            "command": self.command,
            "config": self.config,
            "command_line": self.command_line,
            "shard": {"index": self.shard.index(), "count": self.shard.count()},
            "units": self.units,
            "parts": self.parts,
        })
        .to_string()
            + "\n"
    }

    /// Writes the file atomically (a temporary file and a rename).
    ///
    /// # Errors
    /// [`ShardFileError::Io`].
    pub fn write(&self, path: &Path) -> Result<(), ShardFileError> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| ShardFileError::Io {
                path: path.display().to_string(),
                reason: "not a file name".to_string(),
            })?;
        write_atomically(dir, &name, self.to_json().as_bytes()).map_err(|e| ShardFileError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
    }

    /// Reads and validates a shard file: its format and version, its fields'
    /// types, and that its parts are exactly its shard's units.
    ///
    /// # Errors
    /// [`ShardFileError::Io`] or [`ShardFileError::Corrupt`].
    pub fn read(path: &Path) -> Result<Self, ShardFileError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ShardFileError::Io {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        Self::parse(&text).map_err(|reason| ShardFileError::Corrupt {
            path: shown,
            reason,
        })
    }

    fn parse(text: &str) -> Result<Self, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
        let field = |name: &str| v.get(name).ok_or_else(|| format!("no \"{name}\""));
        let string = |name: &str| -> Result<String, String> {
            field(name)?
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("\"{name}\" is not a string"))
        };
        let integer = |v: &Value, name: &str| {
            v.as_u64()
                .ok_or_else(|| format!("\"{name}\" is not a non-negative integer"))
        };
        if string("format")? != FORMAT {
            return Err(format!("\"format\" is not {FORMAT:?}"));
        }
        let version = integer(field("version")?, "version")?;
        if version != VERSION {
            return Err(format!(
                "format version {version}; this build reads version {VERSION}"
            ));
        }
        let shard = field("shard")?;
        let index = integer(shard.get("index").unwrap_or(&Value::Null), "shard.index")?;
        let count = integer(shard.get("count").unwrap_or(&Value::Null), "shard.count")?;
        let shard = Shard::new(index, count).map_err(|e| e.to_string())?;
        let command_line = field("command_line")?
            .as_array()
            .and_then(|a| {
                a.iter()
                    .map(|w| w.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or("\"command_line\" is not an array of strings")?;
        let file = ShardFile {
            command: string("command")?,
            config: field("config")?
                .as_object()
                .cloned()
                .ok_or("\"config\" is not an object")?,
            crate_version: string("crate_version")?,
            command_line,
            shard,
            units: integer(field("units")?, "units")?,
            parts: field("parts")?
                .as_array()
                .cloned()
                .ok_or("\"parts\" is not an array")?,
        };
        file.check_parts()?;
        Ok(file)
    }

    /// The parts are exactly what the command's shard holds, each readable.
    fn check_parts(&self) -> Result<(), String> {
        let owned = self.shard.units(self.units).count();
        match self.command.as_str() {
            "gap" | "kl-estimators" => {
                if self.parts.len() != owned {
                    return Err(format!(
                        "{} parts for shard {} of a run of {} units, which holds {owned}",
                        self.parts.len(),
                        self.shard,
                        self.units
                    ));
                }
                if self.command == "gap" {
                    self.gap_blocks().map(drop)
                } else {
                    self.kl_blocks().map(drop)
                }
            }
            "calibrate" => self.calibrate_counts().map(drop),
            other => Err(format!("unknown command {other:?}")),
        }
    }

    /// The gap blocks of the parts.
    fn gap_blocks(&self) -> Result<Vec<GapBlock>, String> {
        self.parts
            .iter()
            .enumerate()
            .map(|(k, part)| {
                let object = part
                    .as_object()
                    .filter(|o| o.len() == 5)
                    .ok_or_else(|| format!("parts[{k}] is not an object of 5 summaries"))?;
                let mut block = GapBlock::default();
                for (name, value) in object {
                    let slot = block
                        .named_mut(name)
                        .ok_or_else(|| format!("parts[{k}] has an unknown summary {name:?}"))?;
                    *slot = stats_from(value).map_err(|e| format!("parts[{k}].{name}: {e}"))?;
                }
                Ok(block)
            })
            .collect()
    }

    /// The KL blocks of the parts.
    fn kl_blocks(&self) -> Result<Vec<KlBlock>, String> {
        self.parts
            .iter()
            .enumerate()
            .map(|(k, part)| {
                let a = part
                    .as_array()
                    .filter(|a| a.len() == 3)
                    .ok_or_else(|| format!("parts[{k}] is not an array of 3 summaries"))?;
                let mut block = [RunningStats::new(); 3];
                for (j, (slot, value)) in block.iter_mut().zip(a).enumerate() {
                    *slot = stats_from(value).map_err(|e| format!("parts[{k}][{j}]: {e}"))?;
                }
                Ok(block)
            })
            .collect()
    }

    /// The calibration counts of the single part.
    fn calibrate_counts(&self) -> Result<Vec<u64>, String> {
        let [part] = self.parts.as_slice() else {
            return Err(format!(
                "{} parts; a calibrate shard has 1",
                self.parts.len()
            ));
        };
        let owned = self.shard.units(self.units).count() as u64;
        if part.get("seeds").and_then(Value::as_u64) != Some(owned) {
            return Err(format!(
                "parts[0].seeds is not {owned}, the seeds of shard {}",
                self.shard
            ));
        }
        part.get("false_failures")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().map(Value::as_u64).collect::<Option<Vec<_>>>())
            .filter(|counts| counts.iter().all(|&k| k <= owned))
            .ok_or_else(|| {
                format!("parts[0].false_failures is not a list of counts of at most {owned}")
            })
    }
}

/// Shard files read and checked to be all the shards of one run.
#[derive(Debug)]
pub struct Merged {
    /// The files, by shard index.
    files: Vec<ShardFile>,
}

impl Merged {
    /// Reads `paths` (in any order) and checks that they are the N shards of
    /// one run: the same command, configuration, crate version, N and
    /// units, each index once.
    ///
    /// # Errors
    /// [`ShardFileError`] naming the file or files at fault.
    pub fn read(paths: &[PathBuf]) -> Result<Self, ShardFileError> {
        let Some(first_path) = paths.first() else {
            return Err(ShardFileError::NoFiles);
        };
        let first = ShardFile::read(first_path)?;
        let name = |p: &PathBuf| p.display().to_string();
        let mut by_index: BTreeMap<u64, (String, ShardFile)> = BTreeMap::new();
        for path in paths {
            let file = if path == first_path {
                first.clone()
            } else {
                ShardFile::read(path)?
            };
            let fields: [(&'static str, String, String); 4] = [
                ("commands", first.command.clone(), file.command.clone()),
                (
                    "configurations",
                    Value::Object(first.config.clone()).to_string(),
                    Value::Object(file.config.clone()).to_string(),
                ),
                (
                    "crate versions",
                    first.crate_version.clone(),
                    file.crate_version.clone(),
                ),
                (
                    "numbers of shards",
                    first.shard.count().to_string(),
                    file.shard.count().to_string(),
                ),
            ];
            for (field, va, vb) in fields {
                if va != vb {
                    return Err(ShardFileError::Mixed {
                        field,
                        a: name(first_path),
                        va,
                        b: name(path),
                        vb,
                    });
                }
            }
            if let Some((a, _)) = by_index.get(&file.shard.index()) {
                return Err(ShardFileError::Duplicate {
                    shard: file.shard,
                    a: a.clone(),
                    b: name(path),
                });
            }
            by_index.insert(file.shard.index(), (name(path), file));
        }
        let count = first.shard.count();
        let missing: Vec<u64> = (0..count).filter(|i| !by_index.contains_key(i)).collect();
        if !missing.is_empty() {
            return Err(ShardFileError::Missing { missing, count });
        }
        Ok(Merged {
            files: by_index.into_values().map(|(_, f)| f).collect(),
        })
    }

    /// The command the shards are of.
    pub fn command(&self) -> &str {
        &self.files[0].command
    }

    /// The run's configuration.
    pub fn config(&self) -> &Map<String, Value> {
        &self.files[0].config
    }

    /// Every block of the run, in block order, from the shards' parts.
    fn blocks<B: Copy + Default>(
        &self,
        parts: impl Fn(&ShardFile) -> Result<Vec<B>, String>,
    ) -> Vec<B> {
        let units = self.files[0].units;
        let mut all = vec![B::default(); usize::try_from(units).unwrap_or(0)];
        for file in &self.files {
            // Validated on reading: one part per unit of the shard.
            let blocks = parts(file).unwrap_or_default();
            for (unit, block) in file.shard.units(units).zip(blocks) {
                all[unit as usize] = block;
            }
        }
        all
    }

    /// The gap blocks of the whole run, in order.
    pub fn gap_blocks(&self) -> Vec<GapBlock> {
        self.blocks(ShardFile::gap_blocks)
    }

    /// The KL blocks of the whole run, in order.
    pub fn kl_blocks(&self) -> Vec<KlBlock> {
        self.blocks(|f: &ShardFile| f.kl_blocks())
    }

    /// The calibration counts of the whole run: the shards' sums.
    pub fn calibrate_counts(&self) -> Vec<u64> {
        let mut total: Vec<u64> = Vec::new();
        for file in &self.files {
            let counts = file.calibrate_counts().unwrap_or_default();
            total.resize(total.len().max(counts.len()), 0);
            for (t, c) in total.iter_mut().zip(counts) {
                *t += c;
            }
        }
        total
    }
}
