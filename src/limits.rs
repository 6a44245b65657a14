//! The bounds on what one run may spend on a repository's behalf.
//!
//! A pull request controls everything this tool reads, so everything it can ask for — bytes of
//! YAML, nodes, renders, generated Applications, template memory, a child process's memory and
//! time — is bounded, and reaching a bound is a finding with a file and line, never an abort.
//!
//! The bounds are the operator's: the defaults below, or `limits:` in a config file outside the
//! scanned repository (`--config /etc/manifest-guard.yaml`). A config file the repository holds
//! may only lower them (a pull request must not buy itself more time or memory); a higher value
//! there is a config error.

/// One documented bound: its config key, what it bounds and its default.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// The key under `limits:` in `.manifest-guard.yaml`.
    pub key: &'static str,
    /// What it bounds, for the README and error messages.
    pub what: &'static str,
    /// The unit of its value.
    pub unit: Unit,
    pub default: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Seconds,
    Count,
}

impl Unit {
    pub fn describe(self, n: u64) -> String {
        match self {
            Unit::Bytes => crate::limits::bytes(n),
            Unit::Seconds => format!("{n} s"),
            Unit::Count => thousands(n),
        }
    }
}

/// Every bound, in the order the README lists them.
pub const LIMITS: &[Limit] = &[
    Limit {
        key: "max-file-size",
        what: "size of one file read (larger files are an `unreadable-file` finding)",
        unit: Unit::Bytes,
        default: 16 * 1024 * 1024,
    },
    // What a YAML node costs, measured (release build, `/usr/bin/time -v` and VmHWM/VmRSS of a
    // parse alone) on the costliest shape, a flow sequence of one-character scalars
    // (`[1,1,…]`): 2,000,001 nodes peak at 840 MB for the whole process and hold 447 MB once
    // parsed, so about 420 bytes a node while a file is parsed and 225 bytes a node held;
    // `k: v` lines cost less (2,000,001 nodes peak at 545 MB). So one file peaks under 0.9 GB,
    // and a run holds at most 25 M × 225 B ≈ 5.6 GB of YAML, plus one file being parsed per
    // core (≈ 0.9 GB each) — about 7.5 GB in all on 2 cores, within a 16 GB CI runner. The run's
    // budget must not refuse a healthy monorepo: 200,000 objects of 50–100 nodes each hold 10–20
    // M nodes (the corpus's largest repository holds well under 1 M).
    Limit {
        key: "yaml-nodes-per-file",
        what: "YAML nodes parsed from one file (alias copies included)",
        unit: Unit::Count,
        default: 2_000_000,
    },
    Limit {
        key: "yaml-nodes",
        what: "YAML nodes held in one run, all files together",
        unit: Unit::Count,
        default: 25_000_000,
    },
    Limit {
        key: "yaml-alias-nodes",
        what: "nodes that alias and merge-key expansion may add to one file",
        unit: Unit::Count,
        default: 100_000,
    },
    Limit {
        key: "yaml-depth",
        what: "nesting of YAML collections",
        unit: Unit::Count,
        default: 200,
    },
    Limit {
        key: "render-timeout",
        what: "time one Helm or Kustomize process may run (also `render.timeout`)",
        unit: Unit::Seconds,
        default: 60,
    },
    Limit {
        key: "render-memory",
        what: "address space of one Helm or Kustomize process",
        unit: Unit::Bytes,
        default: 4 * 1024 * 1024 * 1024,
    },
    Limit {
        key: "renders",
        what: "Helm and Kustomize renders in one run",
        unit: Unit::Count,
        default: 5_000,
    },
    Limit {
        key: "app-depth",
        what: "Applications rendering Applications, levels deep",
        unit: Unit::Count,
        default: 8,
    },
    Limit {
        key: "applicationset-elements",
        what: "parameter sets one ApplicationSet generator may produce",
        unit: Unit::Count,
        default: 10_000,
    },
    Limit {
        key: "generated-applications",
        what: "Applications all ApplicationSets of one run may generate together",
        unit: Unit::Count,
        default: 50_000,
    },
    Limit {
        key: "template-memory",
        what: "bytes of live values one ApplicationSet template evaluation may hold",
        unit: Unit::Bytes,
        default: 64 * 1024 * 1024,
    },
    Limit {
        key: "generated-bytes",
        what: "bytes of the Applications all ApplicationSets of one run generate together",
        unit: Unit::Bytes,
        default: 512 * 1024 * 1024,
    },
];

/// The bounds of one run. Build with `Limits::default()` and change with `set`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    values: Vec<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            values: LIMITS.iter().map(|l| l.default).collect(),
        }
    }
}

/// Names a bound without a string lookup at each use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    MaxFileSize,
    YamlNodesPerFile,
    YamlNodes,
    YamlAliasNodes,
    YamlDepth,
    RenderTimeout,
    RenderMemory,
    Renders,
    AppDepth,
    ApplicationSetElements,
    GeneratedApplications,
    TemplateMemory,
    GeneratedBytes,
}

impl Key {
    const ALL: [Key; 13] = [
        Key::MaxFileSize,
        Key::YamlNodesPerFile,
        Key::YamlNodes,
        Key::YamlAliasNodes,
        Key::YamlDepth,
        Key::RenderTimeout,
        Key::RenderMemory,
        Key::Renders,
        Key::AppDepth,
        Key::ApplicationSetElements,
        Key::GeneratedApplications,
        Key::TemplateMemory,
        Key::GeneratedBytes,
    ];

    fn index(self) -> usize {
        self as usize
    }

    pub fn limit(self) -> &'static Limit {
        &LIMITS[self.index()]
    }

    /// The key named `name` under `limits:`.
    pub fn named(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|k| k.limit().key == name)
    }
}

impl Limits {
    pub fn get(&self, key: Key) -> u64 {
        self.values[key.index()]
    }

    /// `get` as a count or size in memory (saturating on 32-bit targets).
    pub fn get_usize(&self, key: Key) -> usize {
        usize::try_from(self.get(key)).unwrap_or(usize::MAX)
    }

    pub fn set(&mut self, key: Key, value: u64) {
        self.values[key.index()] = value;
    }

    /// Every bound with its value, in README order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static Limit, u64)> + '_ {
        LIMITS.iter().zip(self.values.iter().copied())
    }
}

/// The README's table of bounds (between its `limits:start`/`limits:end` markers), kept true by
/// a test.
pub fn markdown_table() -> String {
    let mut out = String::from("| `limits:` key | bounds | default |\n|---|---|---|\n");
    for l in LIMITS {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            l.key,
            l.what,
            l.unit.describe(l.default)
        ));
    }
    out
}

/// `n` with a comma every three digits, as the README writes counts.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `n` bytes in the largest binary unit that divides it (`16 MiB`), else in bytes.
pub fn bytes(n: u64) -> String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if n >= 1 << shift && n.is_multiple_of(1 << shift) {
            return format!("{} {unit}", n >> shift);
        }
    }
    format!("{n} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_table_agree() {
        for (i, k) in Key::ALL.iter().enumerate() {
            assert_eq!(k.index(), i);
            assert_eq!(Key::named(k.limit().key), Some(*k));
        }
        assert_eq!(Key::ALL.len(), LIMITS.len());
    }

    #[test]
    fn bytes_are_named_in_their_unit() {
        assert_eq!(bytes(16 * 1024 * 1024), "16 MiB");
        assert_eq!(bytes(4 << 30), "4 GiB");
        assert_eq!(bytes(1000), "1000 bytes");
        assert_eq!(thousands(50_000_000), "50,000,000");
        assert_eq!(thousands(200), "200");
    }
}
