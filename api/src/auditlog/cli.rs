//! `ecommissariat audit ...`: the full check against the witness, the offline check of a
//! proof, the public keys.

use super::keys::{self, AuditSigner, Keyring};
use super::proofs::{AuditKeys, ConsistencyProof, InclusionProof};
use super::{verify, witness};
use crate::config::Settings;
use std::path::PathBuf;

/// The audit subcommands (parsed in `crate::cli`).
pub enum AuditCommand {
    Verify {
        witness: Option<PathBuf>,
        checkpoint: Option<PathBuf>,
        public_keys: Vec<String>,
    },
    VerifyProof {
        file: PathBuf,
        public_keys: Vec<String>,
    },
    Keys,
}

/// The configured keys (the current one only if it exists; none is made) and `extra`.
fn keyring(settings: &Settings, extra: &[String]) -> anyhow::Result<Keyring> {
    let current = AuditSigner::existing_public(
        settings.audit.signing_key.as_ref(),
        &settings.audit_key_file(),
    )?;
    let mut retired = settings.audit.retired_public_keys.clone();
    retired.extend(extra.iter().cloned());
    for key in extra {
        keys::parse_public(key).map_err(|e| anyhow::anyhow!("--public-key {key}: {e}"))?;
    }
    Ok(Keyring::new(current, &retired)?)
}

/// Runs one audit command.
///
/// # Errors
/// Problems found (after printing each), or what prevented the check.
pub fn run(settings: &Settings, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Keys => {
            let ring = keyring(settings, &[])?;
            for key in AuditKeys::of(&ring).keys {
                let state = if key.current { "current" } else { "retired" };
                println!("{}\tEd25519\t{}\t{state}", key.key_id, key.public_key);
            }
            Ok(())
        }
        AuditCommand::VerifyProof { file, public_keys } => {
            let ring = if public_keys.is_empty() {
                keyring(settings, &[])?
            } else {
                Keyring::new(None, &public_keys)?
            };
            verify_proof(&file, &ring)
        }
        AuditCommand::Verify {
            witness: dir,
            checkpoint,
            public_keys,
        } => {
            let ring = keyring(settings, &public_keys)?;
            let (witnessed, source) =
                match (&checkpoint, dir.or_else(|| settings.audit_witness_dir())) {
                    (Some(file), _) => (
                        vec![witness::read_file(file).map_err(anyhow::Error::msg)?],
                        file.display().to_string(),
                    ),
                    (None, Some(dir)) => (
                        witness::read_all(&dir).map_err(anyhow::Error::msg)?,
                        dir.display().to_string(),
                    ),
                    (None, None) => (Vec::new(), "no witness".to_owned()),
                };
            if witnessed.is_empty() {
                eprintln!("warning: no checkpoint from a witness ({source}): the log is checked against the database's own checkpoints only");
            }
            let url = settings.database_url()?;
            let mut conn = persistence::db::connect_once(&url, &settings.pool_options())?;
            let report = verify::full(&mut conn, &ring, witnessed)?;
            if report.findings.is_empty() {
                println!(
                    "audit log intact: {} sealed event(s) checked against {} witness checkpoint(s) ({source}); {} event(s) waiting to be sealed",
                    report.sealed, report.witnessed, report.pending
                );
                return Ok(());
            }
            eprintln!("audit log altered:");
            for finding in &report.findings {
                eprintln!("  {finding}");
            }
            anyhow::bail!("{} problem(s) in the audit log", report.findings.len())
        }
    }
}

fn verify_proof(file: &std::path::Path, ring: &Keyring) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: not JSON: {e}", file.display()))?;
    if value.get("audit_path").is_some() {
        let proof: InclusionProof = serde_json::from_value(value)?;
        proof
            .verify(ring)
            .map_err(|e| anyhow::anyhow!("inclusion proof invalid: {e}"))?;
        println!(
            "inclusion proof valid: event {} is at position {} of the log of {} event(s) signed at {} by key {}",
            proof.event_id,
            proof.leaf_index,
            proof.tree_size,
            proof.checkpoint.issued_at.to_rfc3339(),
            proof.checkpoint.key_id
        );
    } else {
        let proof: ConsistencyProof = serde_json::from_value(value)?;
        proof
            .verify(ring)
            .map_err(|e| anyhow::anyhow!("consistency proof invalid: {e}"))?;
        println!(
            "consistency proof valid: the log of {} event(s) is a prefix of the log of {} event(s)",
            proof.old.tree_size, proof.new.tree_size
        );
    }
    Ok(())
}
