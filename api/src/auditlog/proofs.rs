//! The proofs an auditor receives, as the API returns them and as
//! `ecommissariat audit verify-proof` reads them back, and their offline check.

use super::keys::Keyring;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use domain::audit::Checkpoint;
use domain::merkle::{self, Hash};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A signed checkpoint of the audit log: its size, root and time, signed with Ed25519.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"tree_size": 1042, "root_hash": "9f2c51e3b0a4d7c8e1f60a9b3c2d4e5f60718293a4b5c6d7e8f9011223344556", "issued_at": "2026-11-30T10:00:00.250000Z", "key_id": "3fa85f6457174562", "signature": "bWFkZSB1cCBzaWduYXR1cmUgZm9yIHRoZSBleGFtcGxlIG9ubHksIDY0IGJ5dGVzIGxvbmcgaW4gcmVhbCBsaWZlLg==", "signed_text": "ecommissariat-audit-log/v1\n1042\n9f2c51e3b0a4d7c8e1f60a9b3c2d4e5f60718293a4b5c6d7e8f9011223344556\n2026-11-30T10:00:00.250000Z\n"}))]
pub struct CheckpointView {
    /// Events in the log.
    pub tree_size: u64,
    /// The Merkle root (RFC 9162 `MTH`), lowercase hex.
    pub root_hash: String,
    pub issued_at: DateTime<Utc>,
    /// The signing key's id (`GET /v1/audit-log/keys`).
    pub key_id: String,
    /// Ed25519 signature of `signed_text`, standard base64.
    pub signature: String,
    /// The exact bytes signed (UTF-8): origin, size, root, time, one per line.
    pub signed_text: String,
}

impl From<Checkpoint> for CheckpointView {
    fn from(c: Checkpoint) -> Self {
        let signed_text = c.text();
        CheckpointView {
            tree_size: c.tree_size,
            root_hash: c.root_hash,
            issued_at: c.issued_at,
            key_id: c.key_id,
            signature: c.signature,
            signed_text,
        }
    }
}

impl CheckpointView {
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            tree_size: self.tree_size,
            root_hash: self.root_hash.clone(),
            issued_at: self.issued_at,
            key_id: self.key_id.clone(),
            signature: self.signature.clone(),
        }
    }
}

/// The proof that one event is in the log of a signed checkpoint (RFC 9162, 2.1.3).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"event_id": 17, "leaf_index": 16, "tree_size": 1042, "leaf_entry": "ZWNvbW1pc3NhcmlhdC1hdWRpdC1ldmVudC92MQo...", "leaf_hash": "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592", "audit_path": ["0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"], "checkpoint": {"tree_size": 1042, "root_hash": "9f2c51e3b0a4d7c8e1f60a9b3c2d4e5f60718293a4b5c6d7e8f9011223344556", "issued_at": "2026-11-30T10:00:00.250000Z", "key_id": "3fa85f6457174562", "signature": "bWFkZSB1cA==", "signed_text": "ecommissariat-audit-log/v1\n1042\n9f2c...\n2026-11-30T10:00:00.250000Z\n"}}))]
pub struct InclusionProof {
    pub event_id: i64,
    /// The event's position in the log (0-based).
    pub leaf_index: u64,
    /// The size of the tree the proof is for (the checkpoint's).
    pub tree_size: u64,
    /// The event's leaf entry, standard base64: the bytes hashed as
    /// `SHA-256(0x00 || entry)` (format in docs/ARCHITECTURE.md, "The audit log").
    pub leaf_entry: String,
    /// `SHA-256(0x00 || entry)`, hex.
    pub leaf_hash: String,
    /// The audit path from the leaf up (RFC 9162 `PATH`), hex.
    pub audit_path: Vec<String>,
    pub checkpoint: CheckpointView,
}

/// The proof that an older checkpoint's log is a prefix of a newer one's (RFC 9162,
/// 2.1.4).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"old": {"tree_size": 1000, "root_hash": "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9", "issued_at": "2026-11-30T09:59:58.100000Z", "key_id": "3fa85f6457174562", "signature": "bWFkZSB1cA==", "signed_text": "ecommissariat-audit-log/v1\n1000\n0a1b...\n2026-11-30T09:59:58.100000Z\n"}, "new": {"tree_size": 1042, "root_hash": "9f2c51e3b0a4d7c8e1f60a9b3c2d4e5f60718293a4b5c6d7e8f9011223344556", "issued_at": "2026-11-30T10:00:00.250000Z", "key_id": "3fa85f6457174562", "signature": "bWFkZSB1cA==", "signed_text": "ecommissariat-audit-log/v1\n1042\n9f2c...\n2026-11-30T10:00:00.250000Z\n"}, "proof": ["5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592"]}))]
pub struct ConsistencyProof {
    pub old: CheckpointView,
    pub new: CheckpointView,
    /// RFC 9162 `PROOF(m, D[n])`, hex.
    pub proof: Vec<String>,
}

/// A public key that verifies the audit log's checkpoints.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"key_id": "3fa85f6457174562", "algorithm": "Ed25519", "public_key": "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", "current": true}))]
pub struct AuditKeyView {
    /// First 8 bytes of SHA-256 of the public key, hex; checkpoints name it.
    pub key_id: String,
    /// Always `Ed25519`.
    pub algorithm: String,
    /// The 32-byte public key, standard base64.
    pub public_key: String,
    /// Whether it signs new checkpoints (else a retired key, for older ones).
    pub current: bool,
}

/// The public keys of the audit log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"keys": [{"key_id": "3fa85f6457174562", "algorithm": "Ed25519", "public_key": "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", "current": true}]}))]
pub struct AuditKeys {
    pub keys: Vec<AuditKeyView>,
}

impl AuditKeys {
    pub fn of(keyring: &Keyring) -> Self {
        AuditKeys {
            keys: keyring
                .keys
                .iter()
                .map(|k| AuditKeyView {
                    key_id: k.key_id.clone(),
                    algorithm: "Ed25519".into(),
                    public_key: k.base64(),
                    current: k.current,
                })
                .collect(),
        }
    }
}

pub fn hex_list(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(hex::encode).collect()
}

fn parse_list(hexes: &[String]) -> Result<Vec<Hash>, String> {
    hexes
        .iter()
        .map(|h| {
            persistence::auditlog::parse_hash(h)
                .ok_or_else(|| format!("`{h}` is not a SHA-256 in hex"))
        })
        .collect()
}

fn root_of(view: &CheckpointView) -> Result<Hash, String> {
    persistence::auditlog::parse_hash(&view.root_hash)
        .ok_or_else(|| "the checkpoint's root is not a SHA-256 in hex".to_owned())
}

impl InclusionProof {
    /// Checks the checkpoint's signature, the leaf hash of the entry, and the path.
    ///
    /// # Errors
    /// What does not hold, named.
    pub fn verify(&self, keyring: &Keyring) -> Result<(), String> {
        keyring
            .verify(&self.checkpoint.checkpoint())
            .map_err(|e| format!("the checkpoint: {e}"))?;
        if self.tree_size != self.checkpoint.tree_size {
            return Err("the proof's size is not the checkpoint's".into());
        }
        let entry = STANDARD
            .decode(&self.leaf_entry)
            .map_err(|e| format!("leaf_entry is not base64: {e}"))?;
        let leaf = merkle::leaf_hash(&entry);
        if hex::encode(leaf) != self.leaf_hash {
            return Err("leaf_hash is not SHA-256(0x00 || leaf_entry)".into());
        }
        let path = parse_list(&self.audit_path)?;
        if !merkle::verify_inclusion(
            self.leaf_index,
            self.tree_size,
            &leaf,
            &path,
            &root_of(&self.checkpoint)?,
        ) {
            return Err("the audit path does not lead to the checkpoint's root".into());
        }
        Ok(())
    }
}

impl ConsistencyProof {
    /// Checks both checkpoints' signatures and the proof.
    ///
    /// # Errors
    /// What does not hold, named.
    pub fn verify(&self, keyring: &Keyring) -> Result<(), String> {
        for (which, view) in [("old", &self.old), ("new", &self.new)] {
            keyring
                .verify(&view.checkpoint())
                .map_err(|e| format!("the {which} checkpoint: {e}"))?;
        }
        let proof = parse_list(&self.proof)?;
        if !merkle::verify_consistency(
            self.old.tree_size,
            self.new.tree_size,
            &root_of(&self.old)?,
            &root_of(&self.new)?,
            &proof,
        ) {
            return Err(format!(
                "the log of size {} is not a prefix of the log of size {}",
                self.old.tree_size, self.new.tree_size
            ));
        }
        Ok(())
    }
}
