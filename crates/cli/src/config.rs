//! Defaults from a configuration file and the environment, beneath the command line.
//!
//! Every long option of every subcommand can be given a default in
//! `$XDG_CONFIG_HOME/smtp-doctor/config.toml` (else `~/.config/smtp-doctor/config.toml`, or the
//! file `SMTP_DOCTOR_CONFIG` names; an empty `SMTP_DOCTOR_CONFIG` reads none), in a table named
//! after the subcommand with the option's long name as key, and global options at the top:
//!
//! ```toml
//! color = "never"
//! [check]
//! timeout-banner = 10
//! ca = "/etc/ssl/private-ca.pem"
//! [logs]
//! tz = "Europe/Paris"
//! ```
//!
//! and in the environment as `SMTP_DOCTOR_<SUBCOMMAND>_<OPTION>` (`SMTP_DOCTOR_CHECK_TIMEOUT_BANNER=10`;
//! global ones as `SMTP_DOCTOR_COLOR`). The command line wins over the environment, which wins over
//! the file, which wins over the built-in defaults: clap does the ordering, the file's values
//! become the options' defaults and the variables their `env`.

use anyhow::{bail, Context, Result};
use clap::Command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::{Spanned, Value};

/// The environment variable that names the configuration file (empty: none).
const CONFIG_VAR: &str = "SMTP_DOCTOR_CONFIG";
/// Largest configuration file read.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The command with the environment variables and the configuration file's defaults applied,
/// and the file read, if one was.
pub(crate) fn apply(cmd: Command) -> Result<(Command, Option<PathBuf>)> {
    let cmd = with_env(cmd);
    match config_path() {
        Some(path) if path.exists() || std::env::var_os(CONFIG_VAR).is_some() => {
            let text = read(&path)?;
            Ok((with_file(cmd, &path, &text)?, Some(path)))
        }
        _ => Ok((cmd, None)),
    }
}

/// The file to read, if any.
fn config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(CONFIG_VAR) {
        return (!p.is_empty()).then(|| PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("smtp-doctor").join("config.toml"))
}

fn read(path: &Path) -> Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    let mut text = String::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        bail!("{}: larger than {MAX_CONFIG_BYTES} bytes", path.display());
    }
    Ok(text)
}

/// `SMTP_DOCTOR_<SUB>_<OPTION>` as the `env` of every long option (hidden from --help).
fn with_env(cmd: Command) -> Command {
    let cmd = cmd.mut_args(|a| env_for(a, "SMTP_DOCTOR"));
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    subs.into_iter().fold(cmd, |cmd, sub| {
        let prefix = format!("SMTP_DOCTOR_{}", var_part(&sub));
        cmd.mut_subcommand(&sub, |s| s.mut_args(|a| env_for(a, &prefix)))
    })
}

fn env_for(arg: clap::Arg, prefix: &str) -> clap::Arg {
    let Some(long) = arg.get_long().map(str::to_string) else {
        return arg;
    };
    if arg.is_positional() || matches!(long.as_str(), "help" | "version") || arg.get_env().is_some()
    {
        return arg;
    }
    arg.env(format!("{prefix}_{}", var_part(&long)))
        .hide_env(true)
}

fn var_part(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

/// Where a byte offset of `text` lies, as `line N`.
fn line_of(text: &str, at: usize) -> usize {
    text.get(..at).map_or(0, |t| t.matches('\n').count()) + 1
}

/// The line of `key = ...` in the table whose header is on line `table` (values inside a table
/// carry no span of their own once read as a table): the first such line after the header.
fn key_line(text: &str, table: usize, key: &str) -> usize {
    text.lines()
        .enumerate()
        .skip(table)
        .find(|(_, l)| {
            let l = l.trim_start();
            let l = l
                .strip_prefix(key)
                .or_else(|| l.strip_prefix(&format!("\"{key}\"")));
            l.is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(table, |(i, _)| i + 1)
}

/// The file's values as the options' defaults; every unknown key or bad value is an error
/// naming the file and the line.
fn with_file(cmd: Command, path: &Path, text: &str) -> Result<Command> {
    let table: BTreeMap<Spanned<String>, Spanned<Value>> = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
        anyhow::anyhow!("{}:{line}: {}", path.display(), e.message())
    })?;
    let mut cmd = cmd;
    let mut problems = Vec::new();
    for (key, value) in &table {
        let line = line_of(text, key.span().start);
        let name = key.get_ref().as_str();
        let Value::Table(options) = value.get_ref() else {
            if let Err(why) = set_default(&mut cmd, name, value.get_ref()) {
                problems.push((line, format!("{name}: {why}")));
            }
            continue;
        };
        let Some(mut sub) = cmd.find_subcommand(name).cloned() else {
            problems.push((line, format!("no subcommand is called [{name}]")));
            continue;
        };
        for (opt, v) in options {
            if let Err(why) = set_default(&mut sub, opt, v) {
                problems.push((key_line(text, line, opt), format!("[{name}] {opt}: {why}")));
            }
        }
        cmd = cmd.mut_subcommand(name, |_| sub);
    }
    if problems.is_empty() {
        return Ok(cmd);
    }
    problems.sort();
    let list: Vec<String> = problems
        .iter()
        .map(|(line, why)| format!("{}:{line}: {why}", path.display()))
        .collect();
    bail!(
        "the configuration file has mistakes:\n  {}",
        list.join("\n  ")
    )
}

/// Sets the default of `cmd`'s option `--long` to `value`, or says why not.
fn set_default(cmd: &mut Command, long: &str, value: &Value) -> std::result::Result<(), String> {
    let Some(arg) = cmd
        .get_arguments()
        .find(|a| a.get_long() == Some(long) && !a.is_positional())
    else {
        return Err("no such option".into());
    };
    let id = arg.get_id().clone();
    let takes_many = arg.get_num_args().is_some_and(|n| n.max_values() > 1)
        || matches!(arg.get_action(), clap::ArgAction::Append);
    let is_flag = matches!(
        arg.get_action(),
        clap::ArgAction::SetTrue | clap::ArgAction::SetFalse
    );
    let values: Vec<String> = match value {
        Value::Array(items) if takes_many => items
            .iter()
            .map(scalar)
            .collect::<Option<Vec<_>>>()
            .ok_or("a list of strings or numbers expected")?,
        Value::Array(_) => return Err("takes one value, not a list".into()),
        Value::Boolean(_) if !is_flag => return Err("takes a value, not true/false".into()),
        v if is_flag && !matches!(v, Value::Boolean(_)) => {
            return Err("a switch: true or false".into())
        }
        v => vec![scalar(v).ok_or("a string, number or boolean expected")?],
    };
    // A value the option's parser refuses surfaces as a command-line error when the
    // subcommand runs; main names this file beside it.
    let c = std::mem::take(cmd);
    *cmd = c.mut_arg(id, |a| a.default_values(values));
    Ok(())
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}
