//! Findings options: the config file, `--set`, `--disable`, and `httpscope rules`.

use crate::cli::{FailOn, FindingsArgs, RulesArgs};
use anyhow::{bail, Context, Result};
use findings::Config;
use model::{Finding, Severity};
use std::io::Write;
use std::process::ExitCode;

/// The findings configuration from the config file and the flags, flags last.
pub fn config(args: &FindingsArgs) -> Result<Config> {
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the config file {}", path.display()))?;
            Config::from_toml(&text).with_context(|| format!("{}", path.display()))?
        }
        None => Config::default(),
    };
    for pair in &args.set {
        let (key, value) = pair
            .split_once('=')
            .with_context(|| format!("--set {pair}: expected KEY=VALUE"))?;
        config
            .set(key.trim(), value.trim())
            .with_context(|| format!("--set {pair}"))?;
    }
    let known = findings::catalog(&config);
    for rule in &args.disable {
        if !known.iter().any(|r| r.id == rule) {
            bail!("--disable {rule}: no such rule (`httpscope rules` lists them)");
        }
        config.disabled.insert(rule.clone());
    }
    if args.https_on_loopback {
        config.https_on_loopback = true;
    }
    Ok(config)
}

/// `httpscope rules`: the catalog as text or Markdown.
pub fn print_rules(args: &RulesArgs) -> Result<ExitCode> {
    let config = config(&args.findings)?;
    let mut out = std::io::stdout().lock();
    if args.markdown {
        out.write_all(findings::catalog_markdown(&config).as_bytes())?;
    } else {
        for rule in findings::catalog(&config) {
            writeln!(
                out,
                "{:<30} {:<8} {}",
                rule.id,
                severity_name(rule.severity),
                rule.title
            )?;
            writeln!(out, "    {}", rule.explanation)?;
            for (name, value) in &rule.thresholds {
                writeln!(out, "    threshold {name} = {value}")?;
            }
            writeln!(out, "    fix: {}", rule.hint)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// Whether `--fail-on` should fail the run for these findings.
pub fn fails(fail_on: Option<FailOn>, found: &[Finding]) -> bool {
    let Some(fail_on) = fail_on else { return false };
    let threshold = match fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Info => Severity::Info,
    };
    found.iter().any(|f| f.severity >= threshold)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(severity: Severity) -> Finding {
        Finding {
            rule: "x".into(),
            severity,
            message: String::new(),
            origin: None,
            transactions: vec![],
            evidence: vec![],
            hint: String::new(),
        }
    }

    #[test]
    fn fail_on_compares_severities() {
        let warn = [finding(Severity::Warning)];
        assert!(!fails(None, &warn));
        assert!(!fails(Some(FailOn::Error), &warn));
        assert!(fails(Some(FailOn::Warning), &warn));
        assert!(fails(Some(FailOn::Info), &warn));
        assert!(!fails(Some(FailOn::Info), &[]));
    }
}
